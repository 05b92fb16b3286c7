// Command paylinks is the self-hosted payment-links server.
//
//	paylinks [serve]   run the server (the default)
//	paylinks keys      create, list and revoke API keys
//	paylinks migrate   apply database migrations
//	paylinks version   print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "paylinks:", err)
		os.Exit(1)
	}
}

// run is the whole program; tests call it with their own arguments,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "keys":
		return keys(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "webhooks":
		return webhooksCmd(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "paylinks", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage: paylinks [command] [flags]

commands:
  serve     run the server (default)
            --addr 127.0.0.1:8080   --db sqlite:./data/paylinks.db   --public-url http://ADDR
            --log-format text|json  --db-max-conns N  --trusted-proxies CIDR,...
            --max-conns N|off (client connections open at once; default 1000)
  keys create --mode test|live --kind secret|public|restricted [--scope S]... [--account NAME]
  keys list
  keys revoke PREFIX|KEY   (the prefix keys list shows, or a whole key, e.g. a leaked one)
  webhooks create --url URL [--format v1|omise] [--mode test|live] [--events T,...]
  webhooks list [--mode test|live]
  migrate   apply migrations to --db
  version   print the version

Every flag may also be set in the environment: PAYLINKS_ADDR, PAYLINKS_DB,
PAYLINKS_PUBLIC_URL, PAYLINKS_LOG_FORMAT, PAYLINKS_DB_MAX_CONNS,
PAYLINKS_TRUSTED_PROXIES, PAYLINKS_MAX_CONNS, PAYLINKS_WEBHOOKS_ALLOW_PRIVATE.
`
