// Package paylinks holds the domain types and values of the paylinks server:
// links, charges, tokens, keys, events, money and ids. It does no I/O.
package paylinks

import (
	"errors"
	"fmt"
)

// ErrorKind classifies an error so that each API dialect can map it to its own
// status code and body. The service layer returns only these kinds.
type ErrorKind string

// The error kinds. Dialects map each kind to one HTTP status.
const (
	KindInvalid         ErrorKind = "invalid"         // the request is malformed or fails validation (400)
	KindUnauthenticated ErrorKind = "unauthenticated" // no key, a bad key or a revoked key (401)
	KindForbidden       ErrorKind = "forbidden"       // the key lacks the scope or kind (403)
	KindNotFound        ErrorKind = "not_found"       // no such object visible to the caller (404)
	KindConflict        ErrorKind = "conflict"        // the object's state forbids the operation (409)
	KindGone            ErrorKind = "gone"            // the object existed but can no longer be used (410)
	KindPayment         ErrorKind = "payment"         // the processor declined a charge (402 / dialect-specific)
	KindRateLimited     ErrorKind = "rate_limited"    // too many requests (429)
	KindUnavailable     ErrorKind = "unavailable"     // a dependency is not configured or is down (503)
	KindInternal        ErrorKind = "internal"        // a bug or an unexpected failure (500)
)

// Error is the typed error the service layer returns. Code is a machine
// readable reason (for example "invalid_amount"), Param names the offending
// request field when there is one, and Message is safe to show to the caller.
type Error struct {
	Kind    ErrorKind
	Code    string
	Param   string
	Message string
}

// Error implements the error interface: "kind: code (param): message",
// the code left out when it repeats the kind ("not_found: …" once).
func (e *Error) Error() string {
	head := string(e.Kind)
	if e.Code != "" && e.Code != head {
		head += ": " + e.Code
	}
	if e.Param != "" {
		return fmt.Sprintf("%s (%s): %s", head, e.Param, e.Message)
	}
	return head + ": " + e.Message
}

// Errorf returns an *Error of the given kind and code with a formatted message.
func Errorf(kind ErrorKind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid error about the request field param.
func Invalid(code, param, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is the sentinel a store returns when no row matches; the service
// turns it into an *Error naming the object.
var ErrNotFound = errors.New("not found")

// ErrConflict is the sentinel a store returns when a uniqueness or state
// constraint refuses a write (a taken slug, a claimed single-use link).
var ErrConflict = errors.New("conflict")

// KindOf returns the kind of err: the Kind of an *Error in its chain,
// KindNotFound for ErrNotFound, KindConflict for ErrConflict, else KindInternal.
func KindOf(err error) ErrorKind {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrConflict):
		return KindConflict
	}
	return KindInternal
}

// AsError returns the *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
