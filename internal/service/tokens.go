package service

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/store"
)

// CardInput is a card as a payer or an API client typed it. Number may hold
// spaces or dashes between groups; a two-digit ExpirationYear means 20YY.
// The number and security code go to the processor and nowhere else.
type CardInput struct {
	Number          string
	SecurityCode    string
	Name            string
	ExpirationMonth int
	ExpirationYear  int
}

// Field limits of a card and a payer.
const (
	MaxCardNameLen = 255
	MaxEmailLen    = 254
)

// FieldErrors are validation errors, one per offending field, in the order
// a form shows the fields. It is a KindInvalid error: errors.As (and
// paylinks.AsError) find its first *paylinks.Error.
type FieldErrors []*paylinks.Error

// Error implements error.
func (fe FieldErrors) Error() string {
	msgs := make([]string, len(fe))
	for i, e := range fe {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the field errors, so errors.As reaches each of them.
func (fe FieldErrors) Unwrap() []error {
	errs := make([]error, len(fe))
	for i, e := range fe {
		errs[i] = e
	}
	return errs
}

// Param returns the error about param, or nil.
func (fe FieldErrors) Param(param string) *paylinks.Error {
	for _, e := range fe {
		if e.Param == param {
			return e
		}
	}
	return nil
}

// checkCard validates a card at now and returns the details for the
// processor and what paylinks keeps of the card (no number, no security
// code). requireCSC is false for Omise tokens, where the code is optional.
// Messages never repeat the number.
func (s *Service) checkCard(in CardInput, requireCSC bool, now time.Time) (payments.CardDetails, paylinks.Card, FieldErrors) {
	var fe FieldErrors
	digits, ok := payments.NormalizeNumber(in.Number)
	brand := ""
	switch {
	case strings.TrimSpace(in.Number) == "":
		fe = append(fe, paylinks.Invalid("invalid_card", "number", "Enter the card number."))
	case !ok || !payments.Luhn(digits):
		fe = append(fe, paylinks.Invalid("invalid_card", "number", "The card number is not valid."))
	default:
		if brand = payments.Brand(digits); brand == "" {
			fe = append(fe, paylinks.Invalid("brand_not_supported", "number", "This card brand is not supported."))
		}
	}
	year := payments.NormalizeYear(in.ExpirationYear)
	if in.ExpirationMonth < 1 || in.ExpirationMonth > 12 {
		fe = append(fe, paylinks.Invalid("invalid_card", "expiration_month", "The expiration month must be 1 to 12."))
	} else if !payments.ExpiryValid(in.ExpirationMonth, year, now) {
		fe = append(fe, paylinks.Invalid("invalid_card", "expiration_year", "The card has expired or the expiration date is not valid."))
	}
	csc := strings.TrimSpace(in.SecurityCode)
	if csc != "" || requireCSC {
		want := payments.SecurityCodeLen(brand)
		if !allDigits(csc) || (brand != "" && len(csc) != want) || (brand == "" && (len(csc) < 3 || len(csc) > 4)) {
			fe = append(fe, paylinks.Invalid("invalid_security_code", "security_code",
				"The security code must be %d digits.", want))
		}
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		fe = append(fe, paylinks.Invalid("invalid_card", "name", "Enter the name on the card."))
	default:
		if e := checkText(cardNameText, name); e != nil {
			fe = append(fe, e)
		}
	}
	if len(fe) > 0 {
		return payments.CardDetails{}, paylinks.Card{}, fe
	}
	details := payments.CardDetails{Number: digits, SecurityCode: csc, Name: name,
		ExpirationMonth: in.ExpirationMonth, ExpirationYear: year}
	card := paylinks.Card{Brand: brand, FirstDigits: payments.First6(digits), LastDigits: payments.Last4(digits),
		ExpirationMonth: in.ExpirationMonth, ExpirationYear: year, Name: name,
		Fingerprint: payments.Fingerprint(s.secret, digits)}
	return details, card, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkEmail validates an email address's shape: a bare address, a domain
// with a dot, at most MaxEmailLen bytes.
func checkEmail(email string) *paylinks.Error {
	if e := checkText(emailText, email); e != nil {
		return e
	}
	bad := paylinks.Invalid("invalid_email", "email", "Enter a valid email address, like name@example.com.")
	if email == "" || len(email) > MaxEmailLen {
		return bad
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return bad
	}
	_, domain, _ := strings.Cut(email, "@")
	if !strings.Contains(strings.Trim(domain, "."), ".") {
		return bad
	}
	return nil
}

// processor returns the processor of a mode.
func (s *Service) processor(livemode bool) payments.Processor {
	if livemode {
		if s.live == nil {
			return payments.Unconfigured{}
		}
		return s.live
	}
	return s.test
}

// PaymentsAvailable reports whether payments in the mode can be taken: true
// in test mode, and in live mode only with a processor configured.
func (s *Service) PaymentsAvailable(livemode bool) bool {
	return payments.Available(s.processor(livemode))
}

// CreateToken turns a card into a single-use token. Only public keys make
// tokens (as Omise's vault does); the security code is optional.
func (s *Service) CreateToken(ctx context.Context, pr paylinks.Principal, in CardInput) (*paylinks.Token, error) {
	if pr.Kind != paylinks.KeyPublic {
		return nil, &paylinks.Error{Kind: paylinks.KindForbidden, Code: "authentication_failure",
			Message: "tokens can only be created with a public key"}
	}
	now := s.Now()
	details, card, fe := s.checkCard(in, false, now)
	if fe != nil {
		return nil, fe
	}
	ref, err := s.processor(pr.Livemode).Tokenize(ctx, details)
	if err != nil {
		return nil, fmt.Errorf("CreateToken: %w", err)
	}
	card.SecurityCodeCheck = details.SecurityCode != ""
	t := &paylinks.Token{AccountID: pr.AccountID, Livemode: pr.Livemode, Card: card, ProcessorRef: ref,
		ChargeStatus: "unknown", CreatedAt: now}
	if t.ID, err = s.newID(now); err != nil {
		return nil, err
	}
	if t.CardID, err = s.newID(now); err != nil {
		return nil, err
	}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return nil, fmt.Errorf("CreateToken: %w", err)
	}
	return t, nil
}

func tokenNotFound(display string) error {
	return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id",
		Message: fmt.Sprintf("token %s was not found", display)}
}

// GetToken returns a token of the caller's account and mode, to a public
// or a secret key.
func (s *Service) GetToken(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Token, error) {
	if pr.Kind != paylinks.KeyPublic && pr.Kind != paylinks.KeySecret {
		return nil, &paylinks.Error{Kind: paylinks.KindForbidden, Code: "authentication_failure",
			Message: "tokens can only be read with a public or a secret key"}
	}
	t, err := s.store.GetToken(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, tokenNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("GetToken: %w", err)
	}
	return t, nil
}

// Limits of a charge's free-form fields.
const (
	MaxMetadataKeys     = 50
	MaxMetadataKeyLen   = 40
	MaxMetadataValueLen = 500
)

// ChargeParams describe an API charge of a token.
type ChargeParams struct {
	Amount      int64
	Currency    string // any case
	TokenID     paylinks.ID
	TokenRef    string // the token id as the caller wrote it, for messages
	Description string
	Metadata    map[string]string
	Capture     bool // false authorizes only (status pending)
}

// CreateCharge charges a token: the token is spent by the charge whatever
// its outcome. A declined card is a charge with status failed and a nil
// error, as Omise returns it; a processor error (no outcome) leaves the
// token unused. A pending payment attempt is written, with the token
// spent, before the processor is asked (see PayLink); the charge's id is
// the attempt's. Retried with the Idempotency-Key of a request that died
// after the processor charged, it answers with that charge, recorded by
// the reconciler or settled on the spot, and never charges twice.
func (s *Service) CreateCharge(ctx context.Context, pr paylinks.Principal, cp ChargeParams) (*paylinks.Charge, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	cur, ok := paylinks.NormalizeCurrency(cp.Currency)
	if !ok {
		return nil, paylinks.Invalid("invalid_currency", "currency", "currency %q is not supported", cp.Currency)
	}
	if err := paylinks.CheckAmount(cp.Amount, cur, "amount"); err != nil {
		return nil, err
	}
	cp.Description = strings.TrimSpace(cp.Description)
	if err := checkText(chargeDescText, cp.Description); err != nil {
		return nil, err
	}
	if err := checkMetadata(cp.Metadata); err != nil {
		return nil, err
	}
	idem, made := idempotentRecord(ctx, pr)
	if made != nil { // answered without charging the card again
		c, err := s.madeCharge(ctx, pr, *made)
		if c != nil || err != nil {
			return c, err
		}
		// The request that died charged nothing: charge now.
	}
	if !s.PaymentsAvailable(pr.Livemode) {
		return nil, payments.ErrNoProcessor
	}
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return nil, err
	}
	tokenID := cp.TokenID
	a := &store.PaymentAttempt{ID: id, AccountID: pr.AccountID, Livemode: pr.Livemode, Kind: store.AttemptCharge,
		TokenID: &tokenID, Amount: cp.Amount, Currency: cur, Description: cp.Description, Capture: cp.Capture,
		Metadata: cp.Metadata, Status: store.AttemptPending, CreatedAt: now}
	if idem != nil {
		a.IdempotencyKey = idem.Key
	}
	// The attempt is written with the token spent (and, with an
	// Idempotency-Key, named on its record: the charge will have the
	// attempt's id) before the processor is asked.
	err = s.store.BeginAttempt(ctx, a, idem, now, now)
	switch {
	case errors.Is(err, paylinks.ErrNotFound):
		return nil, tokenNotFound(cp.TokenRef)
	case errors.Is(err, paylinks.ErrConflict):
		return nil, paylinks.Invalid("used_token", "card", "token %s was already used", cp.TokenRef)
	case errors.Is(err, store.ErrKeyLost):
		return nil, idempotencyKeyInUse()
	case err != nil:
		return nil, fmt.Errorf("CreateCharge: %w", err)
	}
	if idem != nil {
		setUnsettled(ctx, true)
	}
	// From here the token is spent: finish even if the caller goes away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processorTimeout+10*time.Second)
	defer cancel()
	c, err := s.chargeAttempt(ctx, a, s.processor(pr.Livemode), attemptTarget{})
	if err != nil {
		if cur, gerr := s.store.GetAttempt(ctx, a.ID); gerr == nil && cur.Status != store.AttemptPending {
			setUnsettled(ctx, false) // voided (or settled): the error may be stored
		}
		return nil, fmt.Errorf("CreateCharge: %w", err)
	}
	setUnsettled(ctx, false)
	return c, nil
}

// madeCharge is the charge an Idempotency-Key request that died made: the
// charge with the id its record names, or, when the request died before
// recording it, the charge its payment attempt (of that id) is settled
// with now, on the spot, by asking the processor. It is nil, nil when the
// attempt was voided (nothing was charged: the token is unused again).
func (s *Service) madeCharge(ctx context.Context, pr paylinks.Principal, id paylinks.ID) (*paylinks.Charge, error) {
	c, err := s.store.GetCharge(ctx, pr.AccountID, pr.Livemode, id)
	if err == nil || !errors.Is(err, paylinks.ErrNotFound) {
		if err != nil {
			return nil, fmt.Errorf("CreateCharge: the charge this request made before: %w", err)
		}
		return c, nil
	}
	a, err := s.store.GetAttempt(ctx, id)
	switch {
	case err != nil:
		return nil, fmt.Errorf("CreateCharge: the payment this request began before: %w", err)
	case a.AccountID != pr.AccountID || a.Livemode != pr.Livemode:
		return nil, fmt.Errorf("CreateCharge: the payment this request began before is of another account or mode")
	case a.Status == store.AttemptVoided:
		return nil, nil
	case a.Status != store.AttemptPending:
		return s.settledCharge(ctx, a)
	}
	// The record was taken over because its request's lock ran out, far
	// past the processor call's timeout: that request is gone, and its
	// attempt is settled now. A reconciler settling it at the same moment
	// is harmless: both get the processor's one answer, and only one of
	// them records it (the other is answered with that charge).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processorTimeout+10*time.Second)
	defer cancel()
	c, err = s.settleAttempt(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("CreateCharge: settle the payment this request began before: %w", err)
	}
	return c, nil
}

// checkMetadata checks a charge's or a session's metadata: at most
// MaxMetadataKeys keys, each key 1 to MaxMetadataKeyLen characters and each
// value at most MaxMetadataValueLen characters of single-line text.
func checkMetadata(m map[string]string) error {
	if len(m) > MaxMetadataKeys {
		return paylinks.Invalid("bad_request", "metadata", "metadata may have at most %d keys", MaxMetadataKeys)
	}
	for k, v := range m {
		if k == "" {
			return paylinks.Invalid("bad_request", "metadata", "metadata keys must not be empty")
		}
		if err := checkText(metadataKeyText, k); err != nil {
			return err
		}
		if err := checkText(metadataValText, v); err != nil {
			return err
		}
	}
	return nil
}
