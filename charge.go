package paylinks

import "time"

// ChargeStatus is the state of a charge.
type ChargeStatus string

// The charge states that paylinks produces.
const (
	ChargeSuccessful ChargeStatus = "successful"
	ChargeFailed     ChargeStatus = "failed"
	ChargePending    ChargeStatus = "pending"
)

// Card is what paylinks keeps of a payment card: never the full number or the
// security code. Fingerprint is an HMAC of the number with a server secret, so
// the same card is recognisable without being stored.
type Card struct {
	Brand             string
	FirstDigits       string // first 6
	LastDigits        string // last 4
	ExpirationMonth   int
	ExpirationYear    int
	Name              string
	Fingerprint       string
	SecurityCodeCheck bool
}

// Charge is one payment attempt, successful or not. LinkID is set when it was
// made through a link's checkout; SessionID when through a checkout session.
type Charge struct {
	ID             ID
	AccountID      ID
	Livemode       bool
	LinkID         *ID
	SessionID      *ID
	Amount         int64
	Currency       string
	Description    string
	Status         ChargeStatus
	Capture        bool
	FailureCode    string
	FailureMessage string
	Card           Card
	CardID         ID // the card object's id (Omise renders card_test_…)
	Email          string
	// IP is the payer's address as the server saw it (behind trusted
	// proxies, from X-Forwarded-For); "" when unknown, as for charges made
	// through the API.
	IP            string
	Metadata      map[string]string
	TransactionID *ID
	CreatedAt     time.Time
	PaidAt        *time.Time
}

// Paid reports whether the charge succeeded.
func (c *Charge) Paid() bool { return c.Status == ChargeSuccessful }

// Token is a single-use handle on a card, made with a public key and spent by
// a charge. ProcessorRef is what the processor needs to charge the card later
// (in test mode, the simulated outcome), never the card number.
type Token struct {
	ID           ID
	AccountID    ID
	Livemode     bool
	Card         Card
	CardID       ID
	ProcessorRef string
	Used         bool
	ChargeStatus string // "unknown" until a charge spends it
	CreatedAt    time.Time
}

// ChargeFilter selects charges of one account and mode, optionally of one link.
type ChargeFilter struct {
	AccountID ID
	Livemode  bool
	LinkID    *ID
	From, To  time.Time
	Order     Order
	Offset    int
	Limit     int
}
