// Command paylinks is the self-hosted payment-links server.
//
//	paylinks [serve]   run the server (the default)
//	paylinks keys      create, list and revoke API keys
//	paylinks crypto    set an account's ETH checkout (xpub, chain, confirmations)
//	paylinks migrate   apply database migrations
//	paylinks backup    copy a live SQLite database to a file
//	paylinks restore   put a backup in place of a SQLite database
//	paylinks version   print the version
//	paylinks help      list the commands; help COMMAND shows its flags
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
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
// environment and output. Help, asked for with help, -h or --help
// (paylinks help serve, paylinks serve --help), goes to stdout and is no
// error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && isHelpFlag(args[0]) {
		printUsage(stdout)
		return nil
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" {
		if len(args) == 0 {
			printUsage(stdout)
			return nil
		}
		cmd, args = args[0], []string{"--help"}
	}
	if wantsHelp(args) {
		// A flag set prints its usage to its output, stderr otherwise.
		stderr = stdout
	}
	err := runCommand(ctx, cmd, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func runCommand(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "keys":
		return keys(ctx, args, getenv, stdout, stderr)
	case "users":
		return usersCmd(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "backup":
		return backup(ctx, args, getenv, stdout, stderr)
	case "restore":
		return restore(ctx, args, getenv, stdout, stderr)
	case "webhooks":
		if len(args) > 0 && isHelpFlag(args[0]) {
			fmt.Fprint(stdout, webhooksUsage)
			return nil
		}
		return webhooksCmd(ctx, args, getenv, stdout, stderr)
	case "crypto":
		return cryptoCmd(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "paylinks", version)
		return nil
	}
	var b strings.Builder
	printUsage(&b)
	return fmt.Errorf("unknown command %q\n\n%s", cmd, b.String())
}
