package orders

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/examples/internal/openapitest"
)

// fakeUsers is user-service as the pact describes it: user 42 exists, nobody else does.
func fakeUsers(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Accept") != "application/json" {
			t.Errorf("user-service got %s %s with Accept %q", r.Method, r.URL.Path, r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/users/42" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"not found"}`)
			return
		}
		io.WriteString(w, `{"id":42,"name":"Ada Lovelace","email":"ada@example.com"}`)
	}
}

// fakePayments is payment-service as the pact describes it: tok_visa is approved, anything
// else declined. It checks the request the client sends.
func fakePayments(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req ChargeRequest
		if r.Method != http.MethodPost || r.URL.Path != "/charge" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("payment-service got %s %s with Content-Type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !strings.HasPrefix(req.OrderID, "o-") || req.Amount <= 0 {
			t.Errorf("payment-service got charge %+v (%v)", req, err)
		}
		w.Header().Set("Content-Type", "application/json")
		if req.CardToken == "tok_visa" {
			io.WriteString(w, `{"status":"approved","transaction_id":"txn_1"}`)
			return
		}
		w.WriteHeader(http.StatusPaymentRequired)
		io.WriteString(w, `{"status":"declined","transaction_id":"txn_2"}`)
	}
}

func respond(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestCreateOrder(t *testing.T) {
	d := openapitest.Load(t, "../openapi.yaml")
	const visa = `{"user_id":42,"amount":1999,"card_token":"tok_visa"}`
	tests := []struct {
		name      string
		users     http.HandlerFunc // nil: fakeUsers
		payments  http.HandlerFunc // nil: fakePayments
		body      string
		wantCode  int
		wantBody  string // exact JSON for 201 and 402
		wantError string // a substring of the error message otherwise
	}{
		{name: "approved", body: visa, wantCode: 201,
			wantBody: `{"order_id":"o-1001","status":"approved","transaction_id":"txn_1","user":{"id":42,"name":"Ada Lovelace"}}`},
		{name: "declined", body: `{"user_id":42,"amount":1999,"card_token":"tok_expired"}`, wantCode: 402,
			wantBody: `{"order_id":"o-1001","status":"declined","transaction_id":"txn_2","user":{"id":42,"name":"Ada Lovelace"}}`},
		{name: "unknown user", body: `{"user_id":7,"amount":1999,"card_token":"tok_visa"}`, wantCode: 400,
			wantError: "user_id: there is no user 7"},
		{name: "user-service fails", users: respond(500, `{"error":"internal error"}`), body: visa, wantCode: 502,
			wantError: "user-service failed"},
		{name: "user-service answers garbage", users: respond(200, `<html>`), body: visa, wantCode: 502,
			wantError: "user-service failed"},
		{name: "user-service answers another user", users: respond(200, `{"id":1,"name":"Bob"}`), body: visa, wantCode: 502,
			wantError: "user-service failed"},
		{name: "payment-service fails", payments: respond(500, `{"error":"payment network unavailable"}`), body: visa, wantCode: 502,
			wantError: "payment-service failed"},
		{name: "payment-service renames transaction_id", payments: respond(200, `{"status":"approved","txn_id":"txn_1"}`), body: visa,
			wantCode: 502, wantError: "payment-service failed"},
		{name: "payment-service contradicts itself", payments: respond(200, `{"status":"declined","transaction_id":"txn_1"}`), body: visa,
			wantCode: 502, wantError: "payment-service failed"},
		{name: "payment-service is too slow",
			payments: func(w http.ResponseWriter, r *http.Request) {
				// The server notices the client giving up only once the body is read.
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			body: visa, wantCode: 502, wantError: "payment-service failed"},
		{name: "missing user id", body: `{"amount":1999,"card_token":"tok_visa"}`, wantCode: 400, wantError: "user_id: must be a positive integer"},
		{name: "user id as a string", body: `{"user_id":"42","amount":1999,"card_token":"tok_visa"}`, wantCode: 400, wantError: "user_id: must be an integer"},
		{name: "zero amount", body: `{"user_id":42,"amount":0,"card_token":"tok_visa"}`, wantCode: 400, wantError: "amount: must be a positive"},
		{name: "missing card token", body: `{"user_id":42,"amount":1999}`, wantCode: 400, wantError: "card_token: required"},
		{name: "not JSON", body: `user_id=42`, wantCode: 400, wantError: "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.users == nil {
				tt.users = fakeUsers(t)
			}
			if tt.payments == nil {
				tt.payments = fakePayments(t)
			}
			users := httptest.NewServer(tt.users)
			defer users.Close()
			payments := httptest.NewServer(tt.payments)
			defer payments.Close()
			hc := &http.Client{Timeout: 200 * time.Millisecond}
			s := New(&UserClient{BaseURL: users.URL, HTTP: hc}, &PaymentClient{BaseURL: payments.URL + "/", HTTP: hc}, nil)

			req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			rec := d.Serve(t, s, req)
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantCode, rec.Body)
			}
			if tt.wantBody != "" {
				if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
					t.Errorf("body %s\nwant %s", got, tt.wantBody)
				}
				return
			}
			var body struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || !strings.Contains(body.Error, tt.wantError) {
				t.Errorf("body %s, want an error mentioning %q", rec.Body, tt.wantError)
			}
		})
	}
}

func TestOrderIDsCount(t *testing.T) {
	users := httptest.NewServer(fakeUsers(t))
	defer users.Close()
	payments := httptest.NewServer(fakePayments(t))
	defer payments.Close()
	s := New(&UserClient{BaseURL: users.URL}, &PaymentClient{BaseURL: payments.URL}, nil)
	for _, want := range []string{"o-1001", "o-1002", "o-1003"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"user_id":42,"amount":1,"card_token":"tok_visa"}`)))
		var o orderResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &o); err != nil || o.OrderID != want {
			t.Errorf("order id %q (%v), want %s", o.OrderID, err, want)
		}
	}
}

func TestOperations(t *testing.T) {
	d := openapitest.Load(t, "../openapi.yaml")
	s := New(&UserClient{BaseURL: "http://127.0.0.1:1"}, &PaymentClient{BaseURL: "http://127.0.0.1:1"}, nil)
	d.Serve(t, s, httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"user_id":42,"amount":1,"card_token":"tok_visa"}`)))
	if rec := d.Serve(t, s, httptest.NewRequest(http.MethodGet, "/healthz", nil)); rec.Code != http.StatusOK {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body)
	}
	rec := d.Serve(t, s, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if line := `http_requests_total{code="502",method="POST",route="/orders"} 1`; !strings.Contains(rec.Body.String(), line+"\n") {
		t.Errorf("metrics lack %s:\n%s", line, rec.Body)
	}
}
