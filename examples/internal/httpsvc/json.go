package httpsvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBodyBytes bounds request bodies; the services' requests are a few hundred bytes.
const MaxBodyBytes = 64 << 10

// WriteJSON writes v with the given status. The content type is exactly application/json,
// which is what the consumers' pacts expect.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// DecodeJSON reads one JSON object from the request body into v. Its errors are 400s whose
// message names the offending field where encoding/json knows it.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	var (
		typeErr *json.UnmarshalTypeError
		syntax  *json.SyntaxError
		tooBig  *http.MaxBytesError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return Errorf(http.StatusBadRequest, "%s: must be %s, got %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &typeErr):
		return Errorf(http.StatusBadRequest, "request body must be a JSON object, got %s", typeErr.Value)
	case errors.As(err, &syntax):
		return Errorf(http.StatusBadRequest, "request body is not valid JSON (offset %d)", syntax.Offset)
	case errors.As(err, &tooBig):
		return Errorf(http.StatusBadRequest, "request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return Errorf(http.StatusBadRequest, "request body is empty, want a JSON object")
	default:
		return &StatusError{Status: http.StatusBadRequest, Message: fmt.Sprintf("request body: %v", err)}
	}
}

// jsonKind names a Go kind the way the JSON in a request would spell it.
func jsonKind(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	default:
		return kind
	}
}
