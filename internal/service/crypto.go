package service

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/ethrate"
	"github.com/paylinks/paylinks/internal/hdwallet"
)

// RateFeed gives the price of one ether in a fiat currency. It returns
// an error wrapping ErrNoFreshRate when it has no price it trusts now (no
// source answered, or only stale ones); the service then refuses the ETH
// session rather than use a stale or invented price.
type RateFeed interface {
	Rate(ctx context.Context, currency string) (paylinks.EthRate, error)
}

// ErrNoFreshRate is the error a RateFeed wraps when it has no fresh rate
// (the ethrate feed's ErrNoRate).
var ErrNoFreshRate = ethrate.ErrNoRate

// FixedRate is a RateFeed with one price for every currency, for test mode
// without rate sources (the --eth-test-rate flag); its rates are marked
// Fixed, and the session shows it.
type FixedRate struct {
	Price string // exact decimal, fiat units per ETH
	Now   func() time.Time
}

var _ RateFeed = (*FixedRate)(nil)

// Rate returns the fixed price in currency.
func (f *FixedRate) Rate(_ context.Context, currency string) (paylinks.EthRate, error) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	return paylinks.EthRate{Currency: currency, Price: f.Price, Sources: []string{"fixed"}, At: now().UTC(), Fixed: true}, nil
}

// weiPerEther is 10^18.
var weiPerEther = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

var decimalPrice = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,18})?$`)

// QuoteWei returns the wei a payer sends for amount minor units of
// currency at price (fiat units per ETH, exact decimal) with a spread of
// spreadBps basis points added:
//
//	wei = ceil(amount / 10^exponent / price × (1 + spreadBps/10000) × 10^18)
//
// computed on integers with math/big, rounded up to the next wei so that a
// quote never asks for less than the price (rounding favours the
// merchant by less than one wei). The price must be a positive decimal.
func QuoteWei(amount int64, currency, price string, spreadBps int) (*big.Int, error) {
	if !decimalPrice.MatchString(price) {
		return nil, fmt.Errorf("quote: price %q is not a decimal number", price)
	}
	p, ok := new(big.Rat).SetString(price)
	if !ok || p.Sign() <= 0 {
		return nil, fmt.Errorf("quote: price %q is not positive", price)
	}
	if amount < 0 || spreadBps < 0 {
		return nil, fmt.Errorf("quote: negative amount or spread")
	}
	exp := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(paylinks.CurrencyDigits(currency))), nil)
	// amount × 10^18 × (10000 + spread) × den / (10^exp × 10000 × num)
	num := new(big.Int).Mul(big.NewInt(amount), weiPerEther)
	num.Mul(num, big.NewInt(int64(10000+spreadBps)))
	num.Mul(num, p.Denom())
	den := new(big.Int).Mul(exp, big.NewInt(10000))
	den.Mul(den, p.Num())
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q, nil
}

// FormatEther renders wei as an exact decimal number of ether, without
// trailing zeros ("0.0325", "1", "0.000000000000000001").
func FormatEther(wei *big.Int) string {
	q, r := new(big.Int).QuoRem(wei, weiPerEther, new(big.Int))
	if r.Sign() == 0 {
		return q.String()
	}
	frac := strings.TrimRight(fmt.Sprintf("%018s", r.String()), "0")
	return q.String() + "." + frac
}

// CryptoSettings describe an account's crypto checkout settings for a
// mode, as `paylinks crypto configure` (or the dashboard) gives them.
// Zero values take the defaults.
type CryptoSettings struct {
	AccountID     paylinks.ID
	Livemode      bool
	XPub          string
	ChainID       uint64
	Confirmations int
	SpreadBps     int
	ToleranceBps  int
	QuoteWindow   time.Duration
	LateGrace     time.Duration
	// Methods default to card and eth.
	Methods []paylinks.PaymentMethod
}

// ConfigureCrypto validates and stores an account's crypto settings for a
// mode (an operator's command: no principal). The xpub must be an account
// extended public key; an extended private key is refused.
func (s *Service) ConfigureCrypto(ctx context.Context, in CryptoSettings) (*paylinks.CryptoConfig, error) {
	if _, err := hdwallet.ParseXPub(in.XPub); err != nil {
		if errors.Is(err, hdwallet.ErrPrivateKey) {
			return nil, paylinks.Invalid("xprv_refused", "xpub", "%s", err.Error())
		}
		return nil, paylinks.Invalid("invalid_xpub", "xpub", "xpub must be the account's extended public key at m/44'/60'/0': %v", err)
	}
	c := &paylinks.CryptoConfig{AccountID: in.AccountID, Livemode: in.Livemode, XPub: strings.TrimSpace(in.XPub),
		ChainID: in.ChainID, Confirmations: in.Confirmations, SpreadBps: in.SpreadBps, ToleranceBps: in.ToleranceBps,
		QuoteWindow: in.QuoteWindow, LateGrace: in.LateGrace, Methods: in.Methods, UpdatedAt: s.Now()}
	if c.ChainID == 0 || c.ChainID > 1<<53 {
		return nil, paylinks.Invalid("invalid_chain_id", "chain_id", "chain id must be a positive integer")
	}
	if c.Confirmations == 0 {
		c.Confirmations = paylinks.DefaultConfirmations
	}
	if c.Confirmations < 1 || c.Confirmations > 1000 {
		return nil, paylinks.Invalid("invalid_confirmations", "confirmations", "confirmations must be between 1 and 1000")
	}
	if c.SpreadBps < 0 || c.SpreadBps > 10000 {
		return nil, paylinks.Invalid("invalid_spread", "spread", "spread must be between 0 and 100 percent")
	}
	if c.ToleranceBps < 0 || c.ToleranceBps > 10000 {
		return nil, paylinks.Invalid("invalid_tolerance", "tolerance", "tolerance must be between 0 and 100 percent")
	}
	if c.QuoteWindow == 0 {
		c.QuoteWindow = paylinks.DefaultQuoteWindow
	}
	if c.QuoteWindow < paylinks.MinQuoteWindow || c.QuoteWindow > paylinks.MaxQuoteWindow {
		return nil, paylinks.Invalid("invalid_quote_window", "quote_window", "the quote window must be between %s and %s",
			paylinks.MinQuoteWindow, paylinks.MaxQuoteWindow)
	}
	c.QuoteWindow = c.QuoteWindow.Truncate(time.Second)
	if c.LateGrace == 0 {
		c.LateGrace = paylinks.DefaultLateGrace
	}
	if c.LateGrace < 0 || c.LateGrace > paylinks.MaxQuoteWindow {
		return nil, paylinks.Invalid("invalid_late_grace", "late_grace", "the late payment grace must be between 0 and %s", paylinks.MaxQuoteWindow)
	}
	c.LateGrace = c.LateGrace.Truncate(time.Second)
	if len(c.Methods) == 0 {
		c.Methods = []paylinks.PaymentMethod{paylinks.MethodCard, paylinks.MethodETH}
	}
	for _, m := range c.Methods {
		if m != paylinks.MethodCard && m != paylinks.MethodETH {
			return nil, paylinks.Invalid("invalid_method", "methods", "payment method %q is not card or eth", m)
		}
	}
	if _, err := s.store.GetAccount(ctx, c.AccountID); errors.Is(err, paylinks.ErrNotFound) {
		return nil, paylinks.Invalid("account_not_found", "account", "account %s was not found", c.AccountID)
	} else if err != nil {
		return nil, fmt.Errorf("ConfigureCrypto: %w", err)
	}
	if err := s.store.PutCryptoConfig(ctx, c); err != nil {
		return nil, fmt.Errorf("ConfigureCrypto: %w", err)
	}
	return c, nil
}

// TestWalletChainID is the chain of a generated test wallet: a local dev
// node's (geth --dev).
const TestWalletChainID = 1337

// CreateTestWallet gives the account a generated test-mode wallet (card
// and ETH, chain TestWalletChainID) and returns its mnemonic, to be shown
// once: only the xpub is stored.
func (s *Service) CreateTestWallet(ctx context.Context, accountID paylinks.ID) (mnemonic string, c *paylinks.CryptoConfig, err error) {
	mnemonic, xpub, err := hdwallet.NewTestWallet(s.rand)
	if err != nil {
		return "", nil, fmt.Errorf("CreateTestWallet: %w", err)
	}
	c, err = s.ConfigureCrypto(ctx, CryptoSettings{AccountID: accountID, XPub: xpub, ChainID: TestWalletChainID})
	if err != nil {
		return "", nil, err
	}
	return mnemonic, c, nil
}

// CryptoConfig returns the account's crypto settings for the mode, or nil
// when it has none.
func (s *Service) CryptoConfig(ctx context.Context, accountID paylinks.ID, livemode bool) (*paylinks.CryptoConfig, error) {
	c, err := s.store.GetCryptoConfig(ctx, accountID, livemode)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("CryptoConfig: %w", err)
	}
	return c, nil
}

// ethOffered returns the settings under which a new session of the
// account and mode offers ETH, or nil: the settings enable it, the process
// has a rate feed for the mode (a market feed, or in test mode the fixed
// test rate), and in live mode a chain watcher runs (without a node, live
// mode offers no ETH). A feed that is configured but has no fresh rate
// refuses the session (quoteCrypto), never prices it.
func (s *Service) ethOffered(ctx context.Context, accountID paylinks.ID, livemode bool) (*paylinks.CryptoConfig, error) {
	if (livemode && !s.liveChain) || s.rateFeed(livemode) == nil {
		return nil, nil
	}
	c, err := s.CryptoConfig(ctx, accountID, livemode)
	if err != nil || c == nil || !c.Offers(paylinks.MethodETH) {
		return nil, err
	}
	return c, nil
}

// rateFeed returns the feed for the mode: live mode's market feed; test
// mode's own feed (market or fixed) when it has one, else the market feed.
func (s *Service) rateFeed(livemode bool) RateFeed {
	if !livemode && s.testRate != nil {
		return s.testRate
	}
	if s.rates != nil {
		return s.rates
	}
	return nil
}

func rateUnavailable(currency string, err error) error {
	msg := fmt.Sprintf("no fresh ETH price in %s is available right now, so no ETH quote can be made; try again shortly", currency)
	if err != nil && !errors.Is(err, ErrNoFreshRate) {
		msg = fmt.Sprintf("the ETH price in %s could not be fetched, so no ETH quote can be made; try again shortly", currency)
	}
	return &paylinks.Error{Kind: paylinks.KindUnavailable, Code: "rate_unavailable", Message: msg}
}

// quoteCrypto locks the ETH quote of a new session (its amount, currency
// and ExpiresAt set): a fresh rate, a deposit address the database
// allocated, and the quote's state. The session's expiry is the quote's.
func (s *Service) quoteCrypto(ctx context.Context, sess *paylinks.CheckoutSession, c *paylinks.CryptoConfig, now time.Time) error {
	feed := s.rateFeed(sess.Livemode)
	if feed == nil {
		return rateUnavailable(sess.Currency, nil)
	}
	rate, err := feed.Rate(ctx, sess.Currency)
	if err != nil {
		s.log.WarnContext(ctx, "no ETH rate", "currency", sess.Currency, "err", err)
		return rateUnavailable(sess.Currency, err)
	}
	if !strings.EqualFold(rate.Currency, sess.Currency) {
		return fmt.Errorf("quote: the feed answered %s for %s", rate.Currency, sess.Currency)
	}
	wei, err := QuoteWei(sess.Amount, sess.Currency, rate.Price, c.SpreadBps)
	if err != nil {
		return fmt.Errorf("quote: %w", err)
	}
	acct, err := hdwallet.ParseXPub(c.XPub)
	if err != nil {
		return fmt.Errorf("quote: account %s's xpub: %w", c.AccountID, err)
	}
	idx, err := s.store.AllocateDepositIndex(ctx, c.AccountID, c.Livemode)
	if err != nil {
		return fmt.Errorf("quote: %w", err)
	}
	addr, err := acct.Address(idx)
	if err != nil {
		return fmt.Errorf("quote: %w", err)
	}
	sess.Crypto = &paylinks.SessionCrypto{Index: idx, Address: addr, ChainID: c.ChainID, QuoteWei: wei.String(),
		EthPrice: rate.Price, RateSources: rate.Sources, RateAt: rate.At.UTC().Truncate(time.Microsecond),
		RateFixed: rate.Fixed, SpreadBps: c.SpreadBps, ToleranceBps: c.ToleranceBps, Confirmations: c.Confirmations,
		LateGrace: c.LateGrace, Status: paylinks.CryptoPending, ReceivedWei: "0",
		WatchUntil: sess.ExpiresAt.Add(c.LateGrace + paylinks.CryptoMonitoring), UpdatedAt: now}
	return nil
}

// PaymentURI is the EIP-681 URI of a session's payment, for wallets and
// QR codes: ethereum:<address>@<chainId>?value=<wei>.
func PaymentURI(c *paylinks.SessionCrypto) string {
	return fmt.Sprintf("ethereum:%s@%d?value=%s", c.Address, c.ChainID, c.QuoteWei)
}
