package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// scopesFlag collects repeated --scope flags.
type scopesFlag []paylinks.Scope

func (s *scopesFlag) String() string { return fmt.Sprint(*s) }
func (s *scopesFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, paylinks.Scope(part))
		}
	}
	return nil
}

func keys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	if isHelpFlag(args[0]) {
		fmt.Fprint(stdout, keysUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flagSet("keys "+sub, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), keysUsage+"\nflags of keys "+sub+":\n")
		fs.PrintDefaults()
	}
	db := dbFlag(fs, getenv)
	var (
		mode, kind, account *string
		scopes              scopesFlag
	)
	if sub == "create" {
		mode = fs.String("mode", "test", "test or live")
		kind = fs.String("kind", "secret", "secret, public or restricted")
		account = fs.String("account", service.DefaultAccountName, "account name (made when missing)")
		fs.Var(&scopes, "scope", "a scope of a restricted key (repeat, or comma-separate)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, *db, 2)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	svc := service.New(st, service.Options{})

	switch sub {
	case "create":
		if *mode != "test" && *mode != "live" {
			return fmt.Errorf("--mode %q: use test or live", *mode)
		}
		a, err := svc.EnsureAccount(ctx, *account)
		if err != nil {
			return err
		}
		_, raw, err := svc.CreateKey(ctx, service.KeyParams{AccountID: a.ID, Livemode: *mode == "live",
			Kind: paylinks.KeyKind(*kind), Scopes: scopes})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, raw)
		return nil
	case "list":
		ks, err := st.ListKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PREFIX\tACCOUNT\tMODE\tKIND\tSCOPES\tCREATED\tREVOKED")
		names := map[paylinks.ID]string{}
		for _, k := range ks {
			if _, ok := names[k.AccountID]; !ok {
				if a, err := st.GetAccount(ctx, k.AccountID); err == nil {
					names[k.AccountID] = a.Name
				}
			}
			mode := "test"
			if k.Livemode {
				mode = "live"
			}
			revoked := "-"
			if k.RevokedAt != nil {
				revoked = k.RevokedAt.Format("2006-01-02 15:04:05Z")
			}
			sc := "-"
			if len(k.Scopes) > 0 {
				parts := make([]string, len(k.Scopes))
				for i, s := range k.Scopes {
					parts[i] = string(s)
				}
				sc = strings.Join(parts, ",")
			}
			fmt.Fprintf(tw, "%s…\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Prefix, names[k.AccountID], mode, k.Kind, sc,
				k.CreatedAt.Format("2006-01-02 15:04:05Z"), revoked)
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("usage: paylinks keys revoke PREFIX|KEY (the prefix keys list shows, or a whole key)")
		}
		k, err := svc.RevokeKey(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "paylinks: revoked %s…\n", k.Prefix)
		return nil
	}
	return fmt.Errorf("unknown keys command %q: use create, list or revoke", sub)
}
