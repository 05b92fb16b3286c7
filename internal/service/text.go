package service

import (
	"unicode/utf8"

	"github.com/paylinks/paylinks"
)

// textField describes one free-text field a client or a payer sends: the
// error code and param its refusals carry, how messages name it, the most
// characters (runes) it may hold, and whether it may span lines.
type textField struct {
	code  string // the refusal's error code
	param string // the service's name of the field; dialects rename it
	label string // how a message names the field, as it starts a sentence; param when empty
	max   int    // the most characters (runes); 0 = no limit of its own
	lines bool   // newlines and tabs are allowed (descriptions)
}

// The text fields of every dialect. Each is checked by checkText, once, in
// the service, before anything is written or any token is spent.
var (
	titleText        = textField{code: "bad_request", param: "title", max: MaxTitleLen}
	descriptionText  = textField{code: "bad_request", param: "description", max: MaxDescriptionLen, lines: true}
	successURLText   = textField{code: "bad_request", param: "success_url", label: "success URL", max: MaxURLLen}
	cancelURLText    = textField{code: "bad_request", param: "cancel_url", label: "cancel URL", max: MaxURLLen}
	chargeDescText   = textField{code: "bad_request", param: "description", max: MaxChargeDescriptionLen, lines: true}
	metadataKeyText  = textField{code: "bad_request", param: "metadata", label: "a metadata key", max: MaxMetadataKeyLen}
	metadataValText  = textField{code: "bad_request", param: "metadata", label: "a metadata value", max: MaxMetadataValueLen}
	cardNameText     = textField{code: "invalid_card", param: "name", label: "The name on the card", max: MaxCardNameLen}
	emailText        = textField{code: "invalid_email", param: "email", label: "The email address", max: MaxEmailLen}
	redirectURLTexts = map[string]textField{"success_url": successURLText, "cancel_url": cancelURLText}
)

// MaxChargeDescriptionLen is the longest description of a charge, in
// characters: a link's title and description joined by a blank line.
const MaxChargeDescriptionLen = MaxTitleLen + 2 + MaxDescriptionLen

// checkText refuses text that no store keeps faithfully or that a page or a
// log would show misleadingly: invalid UTF-8, NUL and every other control
// character (C0, DEL, C1), except newline and tab in a multi-line field;
// and more characters than the field allows. The error is KindInvalid and
// names the field. The check is one pass over the bytes; ASCII letters
// cost a comparison each.
func checkText(f textField, s string) *paylinks.Error {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			n++
			continue
		}
		if c < 0x80 { // C0 or DEL
			if f.lines && (c == '\n' || c == '\t') {
				i++
				n++
				continue
			}
			return textError(f, controlMessage(f, c == 0))
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return textError(f, "%s must be valid UTF-8 text")
		case r >= 0x80 && r <= 0x9f: // C1
			return textError(f, controlMessage(f, false))
		}
		i += size
		n++
	}
	if f.max > 0 && n > f.max {
		return paylinks.Invalid(f.code, f.param, "%s must be at most %d characters", f.name(), f.max)
	}
	return nil
}

func (f textField) name() string {
	if f.label != "" {
		return f.label
	}
	return f.param
}

func controlMessage(f textField, nul bool) string {
	switch {
	case nul:
		return "%s must not contain a NUL character"
	case f.lines:
		return "%s must not contain control characters other than newlines and tabs"
	}
	return "%s must not contain control characters (newlines and tabs included)"
}

func textError(f textField, format string) *paylinks.Error {
	return paylinks.Invalid(f.code, f.param, format, f.name())
}
