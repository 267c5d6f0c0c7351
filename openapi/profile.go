package openapi

import (
	"fmt"
	"sort"
	"strings"
)

// Profile holds the switches that change how a pact is judged. The first eleven are the
// reference comparator's configuration keys, read from a document's info object as
// "x-opc-config-<key>" exactly as the reference reads them (the document's value wins over
// the profile it is compared with). The zero Profile is Treaty's default, DefaultProfile.
//
// Treaty's default is the reference's own default ("strict"): every compatibility quirk off.
// PactFlow's hosted service turns every quirk on; PactFlowProfile reproduces that. The quirks
// reproduce bugs of swagger-mock-validator, so a team moving from PactFlow can start with
// PactFlowProfile and switch quirks off one at a time.
type Profile struct {
	// CastObjectsInPact treats a query value "[object Object]" as {} (a JavaScript pact
	// library bug). Key: cast-objects-in-pact.
	CastObjectsInPact bool
	// CaseInsensitive routes paths without regard to case. Key: case-insensitive.
	CaseInsensitive bool
	// DisableMultipartFormData makes multipart/form-data bodies unvalidatable (a warning).
	// Key: disable-multipart-formdata.
	DisableMultipartFormData bool
	// IgnoreDuplicateSlashes routes "//" as "/". Key: ignore-duplicate-slashes.
	IgnoreDuplicateSlashes bool
	// IgnoreTrailingSlash routes "/a/" as "/a". Key: ignore-trailing-slash.
	IgnoreTrailingSlash bool
	// LegacyParser parses query strings and form bodies without nesting or comma-separated
	// arrays (node's querystring). Key: legacy-parser.
	LegacyParser bool
	// NoAuthorizationSchema only checks that an Authorization header is present, not that it
	// is Basic or Bearer as the scheme says. Key: no-authorization-schema.
	NoAuthorizationSchema bool
	// NoPercentEncoding treats "%" in a pact path as a literal percent sign. Key:
	// no-percent-encoding.
	NoPercentEncoding bool
	// NoTransformNonNullableResponseSchema leaves nullable objects of response schemas open
	// to undeclared properties. Key: no-transform-non-nullable-response-schema.
	NoTransformNonNullableResponseSchema bool
	// NoValidateComplexParameters validates only array and object parameters. Key:
	// no-validate-complex-parameters.
	NoValidateComplexParameters bool
	// NoValidateRequestBodyUnlessApplicationJSON validates a request body only when the
	// operation accepts application/json. Key: no-validate-request-body-unless-application-json.
	NoValidateRequestBodyUnlessApplicationJSON bool
	// BasePath is prefixed to every path of the document. Key: base-path.
	BasePath string

	// HonourAdditionalPropertiesTrue lets a response carry properties the provider does not
	// declare when the schema says additionalProperties: true. Off by default, as in the
	// reference: a consumer may not count on fields the provider never promised, and most
	// documents say "true" without meaning it. Key: x-treaty-honour-additional-properties.
	HonourAdditionalPropertiesTrue bool
	// IgnoreMatchers judges the examples of a pact alone, as the reference does, instead of
	// letting response matching rules say what the consumer accepts. Key:
	// x-treaty-ignore-matchers.
	IgnoreMatchers bool
	// IgnoreServers routes pact paths against the document's paths alone, as the reference
	// does, instead of also accepting them under the path of any of the document's servers.
	// Key: x-treaty-ignore-servers.
	IgnoreServers bool
}

// DefaultProfile is the profile Treaty judges with unless told otherwise: the reference
// comparator's default, every quirk off.
var DefaultProfile = Profile{}

// PactFlowProfile is what PactFlow's hosted service runs: every quirk of the reference on.
var PactFlowProfile = Profile{
	CastObjectsInPact:                          true,
	DisableMultipartFormData:                   true,
	IgnoreDuplicateSlashes:                     true,
	IgnoreTrailingSlash:                        true,
	LegacyParser:                               true,
	NoAuthorizationSchema:                      true,
	NoPercentEncoding:                          true,
	NoTransformNonNullableResponseSchema:       true,
	NoValidateComplexParameters:                true,
	NoValidateRequestBodyUnlessApplicationJSON: true,
}

// profileSwitches maps each boolean key to its field, in both spellings Treaty reads: the
// reference's "x-opc-config-<key>" and Treaty's own "x-treaty-<key>".
func (p *Profile) switches() map[string]*bool {
	return map[string]*bool{
		"x-opc-config-cast-objects-in-pact":                             &p.CastObjectsInPact,
		"x-opc-config-case-insensitive":                                 &p.CaseInsensitive,
		"x-opc-config-disable-multipart-formdata":                       &p.DisableMultipartFormData,
		"x-opc-config-ignore-duplicate-slashes":                         &p.IgnoreDuplicateSlashes,
		"x-opc-config-ignore-trailing-slash":                            &p.IgnoreTrailingSlash,
		"x-opc-config-legacy-parser":                                    &p.LegacyParser,
		"x-opc-config-no-authorization-schema":                          &p.NoAuthorizationSchema,
		"x-opc-config-no-percent-encoding":                              &p.NoPercentEncoding,
		"x-opc-config-no-transform-non-nullable-response-schema":        &p.NoTransformNonNullableResponseSchema,
		"x-opc-config-no-validate-complex-parameters":                   &p.NoValidateComplexParameters,
		"x-opc-config-no-validate-request-body-unless-application-json": &p.NoValidateRequestBodyUnlessApplicationJSON,
		"x-treaty-honour-additional-properties":                         &p.HonourAdditionalPropertiesTrue,
		"x-treaty-ignore-matchers":                                      &p.IgnoreMatchers,
		"x-treaty-ignore-servers":                                       &p.IgnoreServers,
	}
}

// ProfileKeys lists the info extensions a document may set, sorted.
func ProfileKeys() []string {
	var p Profile
	keys := []string{"x-opc-config-base-path"}
	for k := range p.switches() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// withInfo returns p overridden by the x-opc-config-* and x-treaty-* extensions of a
// document's info object. Values of the wrong type are ignored (and reported by Load as a
// warning), as the reference ignores them in effect.
func (p Profile) withInfo(ext map[string]any) Profile {
	switches := p.switches()
	for k, v := range ext {
		if k == "x-opc-config-base-path" {
			if s, ok := v.(string); ok {
				p.BasePath = s
			}
			continue
		}
		if ptr, ok := switches[k]; ok {
			if b, ok := v.(bool); ok {
				*ptr = b
			}
		}
	}
	return p
}

// profileWarnings describes the info extensions Load could not use.
func profileWarnings(ext map[string]any) []string {
	var p Profile
	switches := p.switches()
	var out []string
	for k, v := range ext {
		switch {
		case k == "x-opc-config-base-path":
			if _, ok := v.(string); !ok {
				out = append(out, fmt.Sprintf("info.%s must be a string; it is ignored", k))
			}
		case switches[k] != nil:
			if _, ok := v.(bool); !ok {
				out = append(out, fmt.Sprintf("info.%s must be true or false; it is ignored", k))
			}
		case strings.HasPrefix(k, "x-opc-config-") || strings.HasPrefix(k, "x-treaty-"):
			out = append(out, fmt.Sprintf("info.%s is not a setting Treaty knows; it is ignored", k))
		}
	}
	sort.Strings(out)
	return out
}

// String lists the switches that are on, for logs and for keying stored results.
func (p Profile) String() string {
	var on []string
	for k, v := range p.switches() {
		if *v {
			on = append(on, strings.TrimPrefix(strings.TrimPrefix(k, "x-opc-config-"), "x-"))
		}
	}
	sort.Strings(on)
	if p.BasePath != "" {
		on = append(on, "base-path="+p.BasePath)
	}
	if len(on) == 0 {
		return "default"
	}
	return strings.Join(on, ",")
}
