package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

// harness drives the real router over a real store.
type harness struct {
	t     *testing.T
	srv   *api.Server
	store *store.Store
	auth  string // Authorization header sent with every request, when set
}

// eachBackend runs fn against a fresh broker on every available database.
func eachBackend(t *testing.T, cfg api.Config, fn func(t *testing.T, h *harness)) {
	t.Helper()
	for _, b := range storetest.Open(t, storetest.Options{}) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, &harness{t: t, srv: api.New(b.Store, nil, cfg), store: b.Store})
		})
	}
}

type response struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

// do sends a request; body may be nil, a string (sent as is) or a value (sent as JSON).
func (h *harness) do(method, path string, body any, headers ...string) response {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	req.Host = "broker.test"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/hal+json, application/json")
	if h.auth != "" {
		req.Header.Set("Authorization", h.auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	res := response{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	if len(res.Raw) > 0 {
		if err := json.Unmarshal(res.Raw, &res.JSON); err != nil {
			h.t.Fatalf("%s %s: response is not a JSON object: %v\n%s", method, path, err, res.Raw)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/hal+json") && !strings.HasPrefix(ct, "application/json") {
			h.t.Fatalf("%s %s: content type %q", method, path, ct)
		}
	}
	if res.Status >= 500 {
		h.t.Fatalf("%s %s: status %d: %s", method, path, res.Status, res.Raw)
	}
	return res
}

// must sends a request and fails the test unless the status is want.
func (h *harness) must(want int, method, path string, body any, headers ...string) response {
	h.t.Helper()
	res := h.do(method, path, body, headers...)
	if res.Status != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.Status, want, res.Raw)
	}
	return res
}

// get walks a decoded JSON value by keys and array indexes ("_embedded", "pacts", 0, "name").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func pactJSON(consumer, provider string, interactions ...map[string]any) map[string]any {
	list := make([]any, len(interactions))
	for i, it := range interactions {
		list[i] = it
	}
	return map[string]any{"consumer": map[string]any{"name": consumer}, "provider": map[string]any{"name": provider},
		"interactions": list, "metadata": map[string]any{"pactSpecification": map[string]any{"version": "3.0.0"}}}
}

func interaction(description string, status int) map[string]any {
	return map[string]any{"description": description, "providerStates": []any{map[string]any{"name": "things exist"}},
		"request":  map[string]any{"method": "GET", "path": "/things"},
		"response": map[string]any{"status": status, "body": map[string]any{"things": []any{}}}}
}

func b64(v any) string {
	data, _ := json.Marshal(v)
	return base64.StdEncoding.EncodeToString(data)
}

// publishBody is a POST /contracts/publish body for one consumer version.
func publishBody(consumer, version, branch string, pacts ...map[string]any) map[string]any {
	contracts := make([]any, len(pacts))
	for i, p := range pacts {
		contracts[i] = map[string]any{"consumerName": consumer, "providerName": get(p, "provider", "name"),
			"specification": "pact", "contentType": "application/json", "content": b64(p)}
	}
	body := map[string]any{"pacticipantName": consumer, "pacticipantVersionNumber": version, "contracts": contracts}
	if branch != "" {
		body["branch"] = branch
	}
	return body
}

// sameJSON compares two values by their JSON encoding.
func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	ja, _ = json.Marshal(va)
	jb, _ = json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
