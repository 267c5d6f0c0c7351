package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

// httpError is a transport-level refusal that has its own status (415, 413, 422, …).
type httpError struct {
	status int
	field  string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func statusError(status int, field, format string, args ...any) error {
	return &httpError{status: status, field: field, msg: fmt.Sprintf(format, args...)}
}

// handleErrors is the one place errors become responses. Handlers only report
// (`_ = c.Error(err); return`); a 500 never shows internal text, and is logged once here.
func (s *Server) handleErrors(c *gin.Context) {
	c.Next()
	if len(c.Errors) == 0 || c.Writer.Written() {
		return
	}
	err := c.Errors.Last().Err
	var (
		ve *broker.ValidationError
		ce *broker.ConflictError
		he *httpError
		nf *broker.NotFoundError
		qe broker.QueryErrors
	)
	switch {
	case errors.As(err, &he):
		body := obj{"error": he.msg}
		if he.field != "" {
			body["errors"] = obj{he.field: []string{he.msg}}
		}
		render(c, he.status, body)
	case errors.As(err, &qe):
		render(c, http.StatusBadRequest, obj{"errors": []string(qe)})
	case errors.As(err, &ve):
		render(c, http.StatusBadRequest, obj{"errors": nestFields(ve.Fields)})
	case errors.As(err, &ce):
		body := obj{"error": ce.Message, "errors": obj{orDefault(ce.Field, "base"): []string{ce.Message}}}
		if len(ce.Notices) > 0 {
			body["notices"] = ce.Notices
		}
		render(c, http.StatusConflict, body)
	case errors.As(err, &nf):
		render(c, http.StatusNotFound, obj{"error": capitalise(nf.Error())})
	case errors.Is(err, broker.ErrNotFound):
		render(c, http.StatusNotFound, obj{"error": "Not found"})
	case errors.Is(err, broker.ErrInvalid):
		render(c, http.StatusBadRequest, obj{"errors": obj{"base": []string{err.Error()}}})
	case errors.Is(err, broker.ErrConflict):
		render(c, http.StatusConflict, obj{"error": "The request conflicts with the current state of the resource"})
	case errors.Is(err, broker.ErrUnauthorized):
		render(c, http.StatusUnauthorized, obj{"error": err.Error()})
	case errors.Is(err, broker.ErrForbidden):
		render(c, http.StatusForbidden, obj{"error": err.Error()})
	default:
		ref := reference()
		s.log.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "reference", ref, "error", err)
		render(c, http.StatusInternalServerError, obj{"error": obj{"message": "An error occurred; the broker's log has the details under this reference", "reference": ref}})
	}
}

// nestFields turns "contracts.0" keys into the nested shape the reference broker uses:
// {"contracts": {"0": [...]}}.
func nestFields(fields map[string][]string) obj {
	out := obj{}
	for k, msgs := range fields {
		head, rest, nested := strings.Cut(k, ".")
		if !nested {
			if existing, ok := out[k].([]string); ok {
				msgs = append(existing, msgs...)
			}
			out[k] = msgs
			continue
		}
		inner, _ := out[head].(obj)
		if inner == nil {
			inner = obj{}
			out[head] = inner
		}
		if existing, ok := inner[rest].([]string); ok {
			msgs = append(existing, msgs...)
		}
		inner[rest] = msgs
	}
	return out
}

func reference() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// decodeJSON reads a JSON request body into dst: the content type must be one of allowed
// (application/json when none is given), the body must fit the size limit and be one JSON
// value. An empty body decodes as {}.
func (s *Server) decodeJSON(c *gin.Context, dst any, allowed ...string) error {
	if len(allowed) == 0 {
		allowed = []string{"application/json"}
	}
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !contains(allowed, mt) {
			return statusError(http.StatusUnsupportedMediaType, "", "Unsupported content type %q: send %s", ct, strings.Join(allowed, " or "))
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return statusError(http.StatusRequestEntityTooLarge, "", "The request body is larger than the limit of %d bytes", s.cfg.MaxBodyBytes)
		}
		return statusError(http.StatusBadRequest, "body", "could not read the request body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return broker.Invalid("body", "%s", describeJSONError(err))
	}
	return nil
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("is not valid JSON (%v at byte %d)", syntax, syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %s must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	}
	return "is not valid JSON: " + err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
