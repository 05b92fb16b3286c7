package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// commands are paylinks' subcommands, in the order help lists them: the
// usage line and the one-line purpose of each.
var commands = []struct{ name, usage, purpose string }{
	{"serve", "paylinks [serve] [flags]", "run the server (the default command)"},
	{"keys", "paylinks keys create|list|revoke [flags]", "create, list and revoke API keys"},
	{"webhooks", "paylinks webhooks create|list [flags]", "create and list webhook endpoints (for integrations without the v1 API)"},
	{"crypto", "paylinks crypto configure|show [flags]", "set an account's ETH checkout: xpub, chain, confirmations, spread"},
	{"users", "paylinks users create --account NAME --email EMAIL [--role viewer]", "add a dashboard user; prints their one-time setup link"},
	{"migrate", "paylinks migrate [--db DSN]", "apply database migrations without serving"},
	{"backup", "paylinks backup [--db sqlite:PATH] --to FILE", "copy a live SQLite database, consistently, to a new file"},
	{"restore", "paylinks restore [--db sqlite:PATH] --from FILE [--force]", "put a backup in place of a SQLite database (server stopped)"},
	{"version", "paylinks version", "print the version"},
	{"help", "paylinks help [command]", "print this help, or a command's"},
}

// printUsage writes the list of commands.
func printUsage(w io.Writer) {
	fmt.Fprint(w, "paylinks is a self-hosted payment-links server.\n\nusage: paylinks [command] [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.purpose)
	}
	fmt.Fprint(w, "\nRun paylinks help COMMAND (or paylinks COMMAND --help) for a command's flags.\n"+
		"Every serve flag may also be set in the environment: --addr is PAYLINKS_ADDR, and so on.\n")
}

// commandUsage is the usage function of a command's flag set: its usage
// line, purpose and flags.
func commandUsage(fs *flag.FlagSet, name string) {
	w := fs.Output()
	for _, c := range commands {
		if c.name == name {
			fmt.Fprintf(w, "usage: %s\n\n%s.\n\nflags:\n", c.usage, strings.ToUpper(c.purpose[:1])+c.purpose[1:])
		}
	}
	fs.PrintDefaults()
}

// serveUsage is serve's usage function.
func serveUsage(fs *flag.FlagSet) {
	commandUsage(fs, "serve")
	fmt.Fprint(fs.Output(), serveEthRateHelp)
}

// serveEthRateHelp explains the --eth-rate-* flags together.
const serveEthRateHelp = `
ETH rates (crypto checkout): a session's ETH amount is quoted from the median
of the --eth-rate-sources prices that answered within --eth-rate-timeout and
were observed within --eth-rate-max-age, reused for --eth-rate-ttl by this
process. Without a fresh price the session is refused, never priced from an old
or invented one. Test mode without sources uses --eth-test-rate, marked fixed.
`

// keysUsage is the help of keys.
const keysUsage = `usage: paylinks keys create|list|revoke [flags]

Create, list and revoke API keys (run with --db as the server's).

  keys create --mode test|live --kind secret|public|restricted [--scope S]... [--account NAME]
              prints the new key alone; it is shown only this once
  keys list   prints each key's prefix, account, mode, kind, scopes and dates
  keys revoke PREFIX|KEY
              revokes the key with the prefix keys list shows, or a whole key
              (e.g. a leaked one); it stops working within a second

Run paylinks keys create --help for its flags.
`

// webhooksUsage is the help of webhooks.
const webhooksUsage = `usage: paylinks webhooks create|list [flags]

Create and list webhook endpoints (run with --db as the server's).

  webhooks create --url URL [--format v1|omise] [--mode test|live] [--events T,...] [--description D]
                  prints the endpoint's id and its signing secret, shown only this once
  webhooks list [--mode test|live]

Run paylinks webhooks create --help for its flags.
`

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}
