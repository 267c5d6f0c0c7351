package httpsvc

import "net/http"

// StatesPath is where the example providers accept Pact provider-state changes, the URL to
// give a verifier as its state change URL.
const StatesPath = "/_pact/provider_states"

// ProviderState is one state an interaction is given, such as "user 42 exists" with
// parameters {"id": 42}.
type ProviderState struct {
	Name   string
	Params map[string]any
}

// StateChange is a request to set up or tear down provider states.
type StateChange struct {
	Action string // "setup" or "teardown"
	States []ProviderState
}

// stateChangeBody accepts both shapes verifiers send: the Pact V3 verifier's
// {"state", "params", "action"}, one request per state, and the older Ruby verifier's
// {"consumer", "states": [...]}.
type stateChangeBody struct {
	State  string         `json:"state"`
	Params map[string]any `json:"params"`
	Action string         `json:"action"`
	States []string       `json:"states"`
}

// DecodeStateChange reads a provider-state change request. A missing action means setup,
// as the Ruby verifier never sends one.
func DecodeStateChange(w http.ResponseWriter, r *http.Request) (StateChange, error) {
	var body stateChangeBody
	if err := DecodeJSON(w, r, &body); err != nil {
		return StateChange{}, err
	}
	sc := StateChange{Action: body.Action}
	switch sc.Action {
	case "":
		sc.Action = "setup"
	case "setup", "teardown":
	default:
		return StateChange{}, Errorf(http.StatusBadRequest, `action: must be "setup" or "teardown", got %q`, body.Action)
	}
	if body.State != "" {
		sc.States = append(sc.States, ProviderState{Name: body.State, Params: body.Params})
	}
	for _, name := range body.States {
		sc.States = append(sc.States, ProviderState{Name: name, Params: body.Params})
	}
	if len(sc.States) == 0 {
		return StateChange{}, Errorf(http.StatusBadRequest, "state: a provider state name is required (or states: [...])")
	}
	return sc, nil
}

// IntParam returns the integer parameter name of a state, or def when it is absent.
// JSON numbers arrive as float64; a fraction or a non-number is an error.
func (s ProviderState) IntParam(name string, def int64) (int64, error) {
	v, ok := s.Params[name]
	if !ok {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok || f != float64(int64(f)) {
		return 0, Errorf(http.StatusBadRequest, "params.%s: must be an integer, got %v", name, v)
	}
	return int64(f), nil
}

// UnknownState is the error for a state a provider does not know: a 400 that names it, so a
// typo in a consumer test shows up as a clear verification failure.
func UnknownState(name string) error {
	return Errorf(http.StatusBadRequest, "unknown provider state %q", name)
}

// StateResult is the body a state change answers with. Pact verifiers read it as values for
// provider-state-injected fields; the examples inject none, so it is empty.
var StateResult = map[string]any{}
