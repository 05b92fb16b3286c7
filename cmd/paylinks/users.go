package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// usersUsage is the help of users.
const usersUsage = `usage: paylinks users create --account NAME --email EMAIL [--role owner|viewer] [--public-url URL]

Add a dashboard user to an account (run with --db as the server's). It
prints a one-time setup link, valid for 24 hours, where the user sets a
password; then they sign in at /dashboard. An owner may do everything; a
viewer only reads (no refunds).
`

func usersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usersUsage)
	}
	if isHelpFlag(args[0]) {
		fmt.Fprint(stdout, usersUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	if sub != "create" {
		return fmt.Errorf("unknown users command %q: use create", sub)
	}
	fs := flagSet("users create", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usersUsage+"\nflags of users create:\n")
		fs.PrintDefaults()
	}
	db := dbFlag(fs, getenv)
	account := fs.String("account", service.DefaultAccountName, "the account's name")
	email := fs.String("email", "", "the user's email (required)")
	role := fs.String("role", "owner", "owner or viewer")
	publicURL := fs.String("public-url", getenv("PAYLINKS_PUBLIC_URL"), "base URL the server is reached at (env PAYLINKS_PUBLIC_URL; default http://127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("users create: --email is required")
	}
	base := strings.TrimRight(*publicURL, "/")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	st, err := openStore(ctx, *db, 2)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	svc := service.New(st, service.Options{})
	u, token, err := svc.CreateUser(ctx, service.UserParams{Account: *account, Email: *email, Role: paylinks.Role(*role)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "paylinks: made the %s %s of account %q.\nSend them this setup link (it works once, for 24 hours):\n\n  %s/dashboard/setup?token=%s\n\n",
		u.Role, u.Email, *account, base, token)
	return nil
}
