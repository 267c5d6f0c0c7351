package broker

import (
	"encoding/base64"
	"encoding/json"
)

// PactMetadata travels inside the URL of a pact selected for verification and comes back
// when the verifier publishes its result, so the result records whether the pact was
// pending or work in progress. Clients treat the segment as opaque.
type PactMetadata struct {
	Pending          bool     `json:"p,omitempty"`
	WIP              bool     `json:"w,omitempty"`
	ConsumerVersions []string `json:"cv,omitempty"`
}

// Encode turns metadata into a URL path segment.
func (m PactMetadata) Encode() string {
	data, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(data)
}

// DecodePactMetadata reads a segment made by Encode. A segment it cannot read (made by
// another broker, or mangled) means no metadata: the verification is still recorded.
func DecodePactMetadata(segment string) PactMetadata {
	var m PactMetadata
	data, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return PactMetadata{}
	}
	if json.Unmarshal(data, &m) != nil {
		return PactMetadata{}
	}
	return m
}
