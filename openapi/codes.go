package openapi

// Code names what a finding is about. The codes are those of the reference comparator
// (@pactflow/openapi-pact-comparator, which kept swagger-mock-validator's), so tooling that
// reads PactFlow's results reads Treaty's.
type Code string

// The codes of HTTP interactions, in the order the checks run.
const (
	CodeSpecMissing             Code = "request.spec.missing"
	CodePathOrMethodUnknown     Code = "request.path-or-method.unknown"
	CodeAuthorizationMissing    Code = "request.authorization.missing"
	CodeAcceptUnknown           Code = "request.accept.unknown"
	CodeAcceptIncompatible      Code = "request.accept.incompatible"
	CodeContentTypeUnknown      Code = "request.content-type.unknown"
	CodeContentTypeIncompatible Code = "request.content-type.incompatible"
	CodeContentTypeMissing      Code = "request.content-type.missing"
	CodeRequestHeaderIncompat   Code = "request.header.incompatible"
	CodeRequestHeaderUnknown    Code = "request.header.unknown"
	CodeQueryIncompatible       Code = "request.query.incompatible"
	CodeQueryUnknown            Code = "request.query.unknown"
	CodeRequestBodyIncompatible Code = "request.body.incompatible"
	CodeRequestBodyUnknown      Code = "request.body.unknown"
	CodeRequestBodyUnvalidat    Code = "request.body.unvalidatable"

	CodeStatusUnknown            Code = "response.status.unknown"
	CodeStatusDefault            Code = "response.status.default"
	CodeResponseCTUnknown        Code = "response.content-type.unknown"
	CodeResponseCTIncompatible   Code = "response.content-type.incompatible"
	CodeResponseHeaderIncompat   Code = "response.header.incompatible"
	CodeResponseHeaderUndefined  Code = "response.header.undefined"
	CodeResponseHeaderUnknown    Code = "response.header.unknown"
	CodeResponseBodyIncompatible Code = "response.body.incompatible"
	CodeResponseBodyUnknown      Code = "response.body.unknown"
	CodeResponseBodyUnvalidat    Code = "response.body.unvalidatable"
)

// Severity says whether a finding makes a pact incompatible (error) or is only worth a look
// (warning).
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// severityOf is the type the reference emits for each code. Treaty emits the same, except
// where DIFFERENCES.md says otherwise (a path parameter that fails its schema on a negative
// test is a warning).
var severityOf = map[Code]Severity{
	CodeSpecMissing:              SeverityError,
	CodePathOrMethodUnknown:      SeverityError,
	CodeAuthorizationMissing:     SeverityError,
	CodeAcceptUnknown:            SeverityWarning,
	CodeAcceptIncompatible:       SeverityError,
	CodeContentTypeUnknown:       SeverityWarning,
	CodeContentTypeIncompatible:  SeverityError,
	CodeContentTypeMissing:       SeverityWarning,
	CodeRequestHeaderIncompat:    SeverityError,
	CodeRequestHeaderUnknown:     SeverityWarning,
	CodeQueryIncompatible:        SeverityError,
	CodeQueryUnknown:             SeverityWarning,
	CodeRequestBodyIncompatible:  SeverityError,
	CodeRequestBodyUnknown:       SeverityWarning,
	CodeRequestBodyUnvalidat:     SeverityWarning,
	CodeStatusUnknown:            SeverityError,
	CodeStatusDefault:            SeverityWarning,
	CodeResponseCTUnknown:        SeverityWarning,
	CodeResponseCTIncompatible:   SeverityError,
	CodeResponseHeaderIncompat:   SeverityError,
	CodeResponseHeaderUndefined:  SeverityWarning,
	CodeResponseHeaderUnknown:    SeverityError,
	CodeResponseBodyIncompatible: SeverityError,
	CodeResponseBodyUnknown:      SeverityError,
	CodeResponseBodyUnvalidat:    SeverityWarning,
}

// Codes lists every code Compare can emit, sorted.
func Codes() []Code {
	out := make([]Code, 0, len(severityOf))
	for c := range severityOf {
		out = append(out, c)
	}
	sortCodes(out)
	return out
}
