package broker

// Notice is a message for the person running a client. The Pact clients print them, coloured
// by type: debug, info, prompt, success, warning or error.
type Notice struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Notice types.
const (
	NoticeDebug   = "debug"
	NoticeInfo    = "info"
	NoticePrompt  = "prompt"
	NoticeSuccess = "success"
	NoticeWarning = "warning"
	NoticeError   = "error"
)
