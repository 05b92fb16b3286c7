package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/metrics"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/webhooks"
)

// webhookFlags are serve's webhook delivery flags.
type webhookFlags struct {
	allowPrivate *bool
	timeout      *time.Duration
	lease        *time.Duration
	poll         *time.Duration
}

func addWebhookFlags(fs *flag.FlagSet, getenv func(string) string) webhookFlags {
	allow, _ := strconv.ParseBool(getenv("PAYLINKS_WEBHOOKS_ALLOW_PRIVATE"))
	dur := func(key string, def time.Duration) time.Duration {
		if d, err := time.ParseDuration(getenv(key)); err == nil && d > 0 {
			return d
		}
		return def
	}
	return webhookFlags{
		allowPrivate: fs.Bool("webhooks-allow-private", allow,
			"let live-mode webhooks reach loopback, private and link-local addresses, for on-premises receivers (env PAYLINKS_WEBHOOKS_ALLOW_PRIVATE)"),
		timeout: fs.Duration("webhooks-timeout", dur("PAYLINKS_WEBHOOKS_TIMEOUT", 15*time.Second), "time a webhook receiver has to answer (env PAYLINKS_WEBHOOKS_TIMEOUT)"),
		lease: fs.Duration("webhooks-lease", dur("PAYLINKS_WEBHOOKS_LEASE", 0),
			"how long a delivery is leased to this process for one attempt; another process retries it after; default timeout+30s (env PAYLINKS_WEBHOOKS_LEASE)"),
		poll: fs.Duration("webhooks-poll", dur("PAYLINKS_WEBHOOKS_POLL", 100*time.Millisecond), "how often an idle process looks for due webhooks (env PAYLINKS_WEBHOOKS_POLL)"),
	}
}

// startWebhooks runs the webhook dispatcher of this process until the
// returned stop is called (stop waits for it).
func startWebhooks(ctx context.Context, st store.Store, srv *server.Server, f webhookFlags, log *slog.Logger, met *metrics.Metrics) (stop func()) {
	d := webhooks.New(webhooks.Options{Store: st, Render: srv.WebhookRenderer(), Timeout: *f.timeout, Lease: *f.lease,
		Poll: *f.poll, AllowPrivate: *f.allowPrivate, Logger: log, Metrics: met})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// webhooksCmd is "paylinks webhooks create|list": endpoints for merchants
// who never use the v1 API (an Omise integration configures its endpoint
// once per mode here).
func webhooksCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: paylinks webhooks create|list [flags]")
	}
	sub, args := args[0], args[1:]
	fs := flagSet("webhooks "+sub, stderr)
	db := dbFlag(fs, getenv)
	mode := fs.String("mode", "test", "test or live")
	account := fs.String("account", service.DefaultAccountName, "account name")
	var rawURL, format, events, description *string
	if sub == "create" {
		rawURL = fs.String("url", "", "the receiver's URL (https:// or http://)")
		format = fs.String("format", paylinks.WebhookFormatV1, "v1 or omise")
		events = fs.String("events", "*", "comma-separated event types, or * for all")
		description = fs.String("description", "", "a note for you")
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
	pr := paylinks.Principal{AccountID: a.ID, Livemode: *mode == "live", Kind: paylinks.KeySecret}
	switch sub {
	case "create":
		var evs []string
		for e := range strings.SplitSeq(*events, ",") {
			if e = strings.TrimSpace(e); e != "" {
				evs = append(evs, e)
			}
		}
		e, err := svc.CreateWebhookEndpoint(ctx, pr, service.WebhookEndpointParams{URL: rawURL, Format: format,
			Events: evs, Description: description})
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "endpoint: we_%s\nsecret:   %s\n", paylinks.FormatBase32(e.ID), e.Secret)
		return nil
	case "list":
		p, err := svc.WebhookEndpointPage(ctx, pr, service.CursorPage{Limit: service.MaxListLimit})
		if err != nil {
			return cliError(err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tURL\tFORMAT\tEVENTS\tDISABLED")
		for _, e := range p.Items {
			dis := "-"
			if e.DisabledAt != nil {
				dis = e.DisabledAt.Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(tw, "we_%s\t%s\t%s\t%s\t%s\n", paylinks.FormatBase32(e.ID), e.URL, e.Format, strings.Join(e.Events, ","), dis)
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown webhooks command %q: use create or list", sub)
}

// cliError renders a service error with the flag it names.
func cliError(err error) error {
	if e := paylinks.AsError(err); e != nil && e.Param != "" {
		return fmt.Errorf("--%s: %s", e.Param, e.Message)
	}
	return err
}
