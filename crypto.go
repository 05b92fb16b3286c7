package paylinks

import "time"

// EthRate is the price of one ether in a fiat currency, as a checkout
// session's crypto quote locks it. Price is an exact decimal string (fiat
// units per ETH, e.g. "3012.45"): money never passes through a float.
type EthRate struct {
	Currency string    // uppercase ISO 4217
	Price    string    // exact decimal, fiat units per 1 ETH
	Sources  []string  // the sources whose median this is, e.g. ["coinbase","kraken"]
	At       time.Time // when the rate was observed (the oldest source used)
	Fixed    bool      // a fixed test-mode rate set by a flag, not a market price
}

// PaymentMethod is a way a checkout session can be paid.
type PaymentMethod string

// The payment methods a session can offer.
const (
	MethodCard PaymentMethod = "card"
	MethodETH  PaymentMethod = "eth"
)

// Crypto settings' defaults and bounds.
const (
	DefaultConfirmations = 3
	DefaultQuoteWindow   = 15 * time.Minute
	MinQuoteWindow       = 5 * time.Minute
	MaxQuoteWindow       = 24 * time.Hour
	DefaultLateGrace     = 10 * time.Minute
	// CryptoMonitoring is how long after a session's late grace its
	// deposit address is still watched, so that a payment that comes
	// later still reaches the session (as failed, for merchant review).
	CryptoMonitoring = 24 * time.Hour
)

// CryptoConfig is an account's crypto checkout settings for one mode.
// paylinks holds no private key: deposit addresses are derived from XPub,
// the account-level extended public key at m/44'/60'/0'.
type CryptoConfig struct {
	AccountID     ID
	Livemode      bool
	XPub          string
	ChainID       uint64
	Confirmations int // blocks a transfer needs to count as paid (default 3)
	// SpreadBps is the spread added to the market price, in basis points
	// (hundredths of a percent): 150 is 1.5 %.
	SpreadBps int
	// ToleranceBps is how far, in basis points of the quote, a payment may
	// fall short of or exceed it and still be paid (not under/overpaid).
	ToleranceBps int
	QuoteWindow  time.Duration // how long a quote holds (5 min – 24 h)
	LateGrace    time.Duration // how long after the quote a payment is paid_late
	Methods      []PaymentMethod
	// NextIndex is the next deposit address index the account's sessions
	// get (read only: the store allocates indexes).
	NextIndex uint32
	UpdatedAt time.Time
}

// Offers reports whether the settings enable method m.
func (c *CryptoConfig) Offers(m PaymentMethod) bool {
	for _, x := range c.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// CryptoStatus is the on-chain state of a checkout session paid in ETH.
type CryptoStatus string

// The crypto states of a session (see the service's state machine).
const (
	CryptoPending   CryptoStatus = "pending"
	CryptoDetected  CryptoStatus = "detected"
	CryptoPaid      CryptoStatus = "paid"
	CryptoUnderpaid CryptoStatus = "underpaid"
	CryptoOverpaid  CryptoStatus = "overpaid"
	CryptoPaidLate  CryptoStatus = "paid_late"
	CryptoExpired   CryptoStatus = "expired"
	CryptoFailed    CryptoStatus = "failed"
)

// Accepted reports whether the state means the payer paid the session (a
// charge is recorded): paid, paid late, or overpaid.
func (s CryptoStatus) Accepted() bool {
	return s == CryptoPaid || s == CryptoPaidLate || s == CryptoOverpaid
}

// CryptoTransfer is one ETH transfer to a session's deposit address, as
// the chain (or the test helper) last reported it.
type CryptoTransfer struct {
	TxHash        string    `json:"txHash"`
	Wei           string    `json:"wei"` // decimal integer
	BlockNumber   uint64    `json:"blockNumber"`
	BlockTime     time.Time `json:"blockTime"`
	Confirmations uint64    `json:"confirmations"`
}

// SessionCrypto is a checkout session's ETH quote and on-chain state. The
// quote is locked when the session is made; its window ends at the
// session's ExpiresAt.
type SessionCrypto struct {
	Index   uint32 // the deposit address's index, m/44'/60'/0'/0/Index
	Address string // EIP-55 checksummed
	ChainID uint64
	// QuoteWei is the amount to pay, an integer in wei (decimal text).
	QuoteWei string
	// EthPrice is the price of 1 ETH in the session's currency that the
	// quote used, before the spread; exact decimal text.
	EthPrice      string
	RateSources   []string
	RateAt        time.Time
	RateFixed     bool // a fixed test-mode rate, not a market price
	SpreadBps     int
	ToleranceBps  int
	Confirmations int
	LateGrace     time.Duration

	Status      CryptoStatus
	ReceivedWei string // decimal integer, sum of Transfers
	Transfers   []CryptoTransfer
	PaidAt      *time.Time
	// WatchUntil is when the chain watcher stops watching the address.
	WatchUntil time.Time
	// Version counts the state's changes; a write is refused when the
	// version it read is no longer the stored one.
	Version   int
	UpdatedAt time.Time
}

// TxHashes returns the hashes of the session's transfers.
func (c *SessionCrypto) TxHashes() []string {
	out := make([]string, len(c.Transfers))
	for i, t := range c.Transfers {
		out[i] = t.TxHash
	}
	return out
}
