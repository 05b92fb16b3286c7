package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// cryptoUsage is the help of crypto.
const cryptoUsage = `usage: paylinks crypto configure|show [flags]

Set an account's ETH checkout for a mode (run with --db as the server's).
paylinks holds no private key: give the account's extended public key at
m/44'/60'/0' (an xpub; an xprv is refused); each ETH session gets its own
deposit address m/44'/60'/0'/0/i.

  crypto configure --account NAME --mode live|test --xpub XPUB --chain-id N
                   [--confirmations 3] [--spread 0] [--tolerance 0]
                   [--quote-window 15m] [--late-grace 10m] [--methods card,eth]
  crypto show      [--account NAME] [--mode test|live]

Run paylinks crypto configure --help for its flags.
`

// percentFlag parses a percentage with up to two decimals into basis points.
func percentFlag(name, v string) (int, error) {
	bps, ok := paylinks.ParseDecimal(v, "USD")
	if !ok || bps < 0 || bps > 10000 {
		return 0, fmt.Errorf("--%s %q: a percentage from 0 to 100 with up to two decimals is needed, e.g. 1.5", name, v)
	}
	return int(bps), nil
}

// cryptoCmd is "paylinks crypto configure|show".
func cryptoCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(cryptoUsage)
	}
	if isHelpFlag(args[0]) {
		fmt.Fprint(stdout, cryptoUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	if sub != "configure" && sub != "show" {
		return fmt.Errorf("unknown crypto command %q: use configure or show", sub)
	}
	fs := flagSet("crypto "+sub, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), cryptoUsage+"\nflags of crypto "+sub+":\n")
		fs.PrintDefaults()
	}
	db := dbFlag(fs, getenv)
	account := fs.String("account", service.DefaultAccountName, "account name")
	mode := fs.String("mode", "test", "test or live")
	var (
		xpub, spread, tolerance, methods *string
		chainID                          *uint64
		confirmations                    *int
		window, grace                    *time.Duration
	)
	if sub == "configure" {
		xpub = fs.String("xpub", "", "the account's extended public key at m/44'/60'/0'")
		chainID = fs.Uint64("chain-id", 0, "the chain's id (1 mainnet, 11155111 Sepolia, 1337 geth --dev)")
		confirmations = fs.Int("confirmations", paylinks.DefaultConfirmations, "blocks a transfer needs to count as paid")
		spread = fs.String("spread", "0", "percent added to the market price in quotes, e.g. 1.5")
		tolerance = fs.String("tolerance", "0", "percent a payment may miss the quote by and still be paid (not under/overpaid)")
		window = fs.Duration("quote-window", paylinks.DefaultQuoteWindow, "how long a quote holds (5m to 24h)")
		grace = fs.Duration("late-grace", paylinks.DefaultLateGrace, "how long after the quote a payment still counts, as paid_late")
		methods = fs.String("methods", "card,eth", "payment methods sessions offer: card, eth, or both")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mode != "test" && *mode != "live" {
		return fmt.Errorf("--mode %q: use test or live", *mode)
	}
	st, err := openStore(ctx, *db, 2)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	svc := service.New(st, service.Options{})
	a, err := st.AccountByName(ctx, *account)
	if err != nil {
		return fmt.Errorf("account %q: %w", *account, err)
	}
	live := *mode == "live"
	var c *paylinks.CryptoConfig
	if sub == "configure" {
		in := service.CryptoSettings{AccountID: a.ID, Livemode: live, XPub: *xpub, ChainID: *chainID,
			Confirmations: *confirmations, QuoteWindow: *window, LateGrace: *grace}
		if *confirmations < 1 {
			return fmt.Errorf("--confirmations %d: at least 1", *confirmations)
		}
		if in.SpreadBps, err = percentFlag("spread", *spread); err != nil {
			return err
		}
		if in.ToleranceBps, err = percentFlag("tolerance", *tolerance); err != nil {
			return err
		}
		for m := range strings.SplitSeq(*methods, ",") {
			if m = strings.TrimSpace(m); m != "" {
				in.Methods = append(in.Methods, paylinks.PaymentMethod(m))
			}
		}
		if c, err = svc.ConfigureCrypto(ctx, in); err != nil {
			return cliError(err)
		}
	} else if c, err = svc.CryptoConfig(ctx, a.ID, live); err != nil {
		return err
	} else if c == nil {
		return fmt.Errorf("account %q has no crypto settings in %s mode", *account, *mode)
	}
	ms := make([]string, len(c.Methods))
	for i, m := range c.Methods {
		ms[i] = string(m)
	}
	fmt.Fprintf(stdout, "account:        %s (%s mode)\nxpub:           %s\nchain id:       %d\nconfirmations:  %d\n"+
		"spread:         %d bps\ntolerance:      %d bps\nquote window:   %s\nlate grace:     %s\nmethods:        %s\nnext index:     %d\n",
		a.Name, *mode, c.XPub, c.ChainID, c.Confirmations, c.SpreadBps, c.ToleranceBps, c.QuoteWindow, c.LateGrace,
		strings.Join(ms, ","), c.NextIndex)
	return nil
}
