package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// Test hooks, read from the environment only (no flags): they exist for the
// crash tests, which must stop a real process while a charge's answer is in
// flight and restart it later. Never set them on a server that takes money.
const (
	// envTestProcessorDelay delays every test-mode charge's answer by a
	// duration, after the simulator has recorded the charge in its ledger.
	envTestProcessorDelay = "PAYLINKS_TEST_PROCESSOR_DELAY"
	// envTestClockOffset moves the service's clock by a duration (as if
	// the restart came that much later).
	envTestClockOffset = "PAYLINKS_TEST_CLOCK_OFFSET"
)

// paymentOptions sets up the service's payments: the test-mode simulator,
// keeping its ledger in the store, and the test hooks when they are set.
func paymentOptions(st store.Store, getenv func(string) string, log *slog.Logger, opt *service.Options) error {
	sim := &payments.Simulator{}
	if l, ok := st.(payments.Ledger); ok {
		sim.Ledger = l
	}
	if v := getenv(envTestProcessorDelay); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("%s=%q: want a duration such as 5s", envTestProcessorDelay, v)
		}
		sim.Delay = d
		log.Warn("test hook: every test-mode charge answers late", "env", envTestProcessorDelay, "delay", d)
	}
	opt.TestProcessor = sim
	if v := getenv(envTestClockOffset); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s=%q: want a duration such as 10m", envTestClockOffset, v)
		}
		opt.Now = func() time.Time { return time.Now().Add(d) }
		log.Warn("test hook: the service clock is moved", "env", envTestClockOffset, "offset", d)
	}
	return nil
}

// startReconciler runs the service's reconciler of payment attempts and
// its authorization sweep in the background (every process runs one; the database coordinates them) and
// returns the function that stops it and waits for it.
func startReconciler(ctx context.Context, svc *service.Service) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		svc.RunReconciler(ctx)
	}()
	// Beside it, the sweep that expires authorizations past expires_at
	// (each expiry a conditional write, so replicas never expire one twice).
	go func() {
		defer wg.Done()
		svc.RunAuthorizationSweep(ctx, 0)
	}()
	// And the sweep that expires ETH quotes nobody paid (session.expired).
	go func() {
		defer wg.Done()
		svc.RunCryptoExpiry(ctx, 0)
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}
