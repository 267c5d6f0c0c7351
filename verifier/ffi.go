package verifier

/*
#cgo LDFLAGS: -lpact_ffi
#include <stdlib.h>

typedef struct VerifierHandle VerifierHandle;

VerifierHandle *pactffi_verifier_new_for_application(const char *name, const char *version);
void pactffi_verifier_shutdown(VerifierHandle *handle);
void pactffi_verifier_set_provider_info(VerifierHandle *handle, const char *name, const char *scheme, const char *host, unsigned short port, const char *path);
void pactffi_verifier_set_provider_state(VerifierHandle *handle, const char *url, unsigned char teardown, unsigned char body);
int pactffi_verifier_set_verification_options(VerifierHandle *handle, unsigned char disable_ssl_verification, unsigned long request_timeout);
int pactffi_verifier_set_coloured_output(VerifierHandle *handle, unsigned char coloured_output);
int pactffi_verifier_set_no_pacts_is_error(VerifierHandle *handle, unsigned char is_error);
int pactffi_verifier_set_publish_options(VerifierHandle *handle, const char *provider_version, const char *build_url, const char *const *provider_tags, unsigned short provider_tags_len, const char *provider_branch);
void pactffi_verifier_set_consumer_filters(VerifierHandle *handle, const char *const *consumer_filters, unsigned short consumer_filters_len);
void pactffi_verifier_add_custom_header(VerifierHandle *handle, const char *header_name, const char *header_value);
void pactffi_verifier_add_file_source(VerifierHandle *handle, const char *file);
void pactffi_verifier_url_source(VerifierHandle *handle, const char *url, const char *username, const char *password, const char *token);
void pactffi_verifier_broker_source_with_selectors(VerifierHandle *handle, const char *url, const char *username, const char *password, const char *token,
	unsigned char enable_pending, const char *include_wip_pacts_since, const char *const *provider_tags, unsigned short provider_tags_len,
	const char *provider_branch, const char *const *consumer_version_selectors, unsigned short consumer_version_selectors_len,
	const char *const *consumer_version_tags, unsigned short consumer_version_tags_len);
int pactffi_verifier_execute(VerifierHandle *handle);
const char *pactffi_verifier_json(const VerifierHandle *handle);
const char *pactffi_verifier_output(const VerifierHandle *handle, unsigned char strip_ansi);
void pactffi_string_delete(char *string);
const char *pactffi_version(void);
*/
import "C"

import (
	"unsafe"
)

// ffiVerifier wraps one verifier handle of libpact_ffi, the engine behind pact-go's and the
// pact CLI's verifiers. pact-go does not expose the handle's results, and the results are
// what per-interaction output and the JUnit and JSON reports are made from.
type ffiVerifier struct {
	h    *C.VerifierHandle
	free []unsafe.Pointer
}

func newFFIVerifier(name, version string) *ffiVerifier {
	v := &ffiVerifier{}
	v.h = C.pactffi_verifier_new_for_application(v.str(name), v.str(version))
	return v
}

// str makes a C string that lives until close.
func (v *ffiVerifier) str(s string) *C.char {
	if s == "" {
		return nil
	}
	c := C.CString(s)
	v.free = append(v.free, unsafe.Pointer(c))
	return c
}

// strs makes a C array of C strings that lives until close.
func (v *ffiVerifier) strs(list []string) (**C.char, C.ushort) {
	if len(list) == 0 {
		return nil, 0
	}
	arr := C.malloc(C.size_t(len(list)) * C.size_t(unsafe.Sizeof(uintptr(0))))
	v.free = append(v.free, arr)
	view := unsafe.Slice((**C.char)(arr), len(list))
	for i, s := range list {
		c := C.CString(s)
		v.free = append(v.free, unsafe.Pointer(c))
		view[i] = c
	}
	return (**C.char)(arr), C.ushort(len(list))
}

func cbool(b bool) C.uchar {
	if b {
		return 1
	}
	return 0
}

func (v *ffiVerifier) close() {
	C.pactffi_verifier_shutdown(v.h)
	for _, p := range v.free {
		C.free(p)
	}
	v.free = nil
}

func (v *ffiVerifier) providerInfo(name, scheme, host string, port uint16, path string) {
	C.pactffi_verifier_set_provider_info(v.h, v.str(name), v.str(scheme), v.str(host), C.ushort(port), v.str(path))
}

func (v *ffiVerifier) providerState(url string, teardown bool) {
	C.pactffi_verifier_set_provider_state(v.h, v.str(url), cbool(teardown), 1)
}

func (v *ffiVerifier) options(timeoutMillis int64) {
	C.pactffi_verifier_set_verification_options(v.h, 0, C.ulong(timeoutMillis))
	C.pactffi_verifier_set_coloured_output(v.h, 0)
}

func (v *ffiVerifier) noPactsIsError(b bool) { C.pactffi_verifier_set_no_pacts_is_error(v.h, cbool(b)) }

func (v *ffiVerifier) publish(providerVersion, buildURL string, tags []string, branch string) {
	arr, n := v.strs(tags)
	C.pactffi_verifier_set_publish_options(v.h, v.str(providerVersion), v.str(buildURL), arr, n, v.str(branch))
}

func (v *ffiVerifier) consumerFilters(consumers []string) {
	arr, n := v.strs(consumers)
	C.pactffi_verifier_set_consumer_filters(v.h, arr, n)
}

func (v *ffiVerifier) header(name, value string) {
	C.pactffi_verifier_add_custom_header(v.h, v.str(name), v.str(value))
}

func (v *ffiVerifier) fileSource(path string) { C.pactffi_verifier_add_file_source(v.h, v.str(path)) }

func (v *ffiVerifier) urlSource(url string, auth brokerAuth) {
	C.pactffi_verifier_url_source(v.h, v.str(url), v.str(auth.username), v.str(auth.password), v.str(auth.token))
}

func (v *ffiVerifier) brokerSource(url string, auth brokerAuth, pending bool, wipSince string, providerTags []string, providerBranch string, selectors []string) {
	tags, ntags := v.strs(providerTags)
	sels, nsels := v.strs(selectors)
	C.pactffi_verifier_broker_source_with_selectors(v.h, v.str(url), v.str(auth.username), v.str(auth.password), v.str(auth.token),
		cbool(pending), v.str(wipSince), tags, ntags, v.str(providerBranch), sels, nsels, nil, 0)
}

// execute runs the verification: 0 all verified, 1 verification failed, 2 could not run.
func (v *ffiVerifier) execute() int { return int(C.pactffi_verifier_execute(v.h)) }

// resultJSON is the run's results as the engine reports them.
func (v *ffiVerifier) resultJSON() []byte {
	p := C.pactffi_verifier_json(v.h)
	if p == nil {
		return nil
	}
	defer C.pactffi_string_delete((*C.char)(unsafe.Pointer(p)))
	return []byte(C.GoString(p))
}

// output is the engine's text output without ANSI colours.
func (v *ffiVerifier) output() string {
	p := C.pactffi_verifier_output(v.h, 1)
	if p == nil {
		return ""
	}
	defer C.pactffi_string_delete((*C.char)(unsafe.Pointer(p)))
	return C.GoString(p)
}

// engineVersion is libpact_ffi's version.
func engineVersion() string { return C.GoString(C.pactffi_version()) }

type brokerAuth struct{ username, password, token string }
