package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/paylinks/paylinks/internal/ethrate"
)

// ethRateFlags are serve's ETH rate feed flags (crypto checkout quotes).
type ethRateFlags struct {
	sources       *string
	urls          map[string]*string
	ttl           *time.Duration
	maxAge        *time.Duration
	timeout       *time.Duration
	testRate      *string
	chainlinkFeed *string
}

func addEthRateFlags(fs *flag.FlagSet, getenv func(string) string) ethRateFlags {
	dur := func(key string, def time.Duration) time.Duration {
		if d, err := time.ParseDuration(getenv(key)); err == nil && d > 0 {
			return d
		}
		return def
	}
	f := ethRateFlags{
		sources: fs.String("eth-rate-sources", getenv("PAYLINKS_ETH_RATE_SOURCES"),
			"comma-separated ETH price sources whose median prices crypto sessions: "+strings.Join(ethrate.SourceNames, ",")+"; none: live mode offers no ETH rate (env PAYLINKS_ETH_RATE_SOURCES)"),
		urls: map[string]*string{},
		ttl: fs.Duration("eth-rate-ttl", dur("PAYLINKS_ETH_RATE_TTL", ethrate.DefaultTTL),
			"how long this process reuses an ETH rate; shorter than --eth-rate-max-age (env PAYLINKS_ETH_RATE_TTL)"),
		maxAge: fs.Duration("eth-rate-max-age", dur("PAYLINKS_ETH_RATE_MAX_AGE", ethrate.DefaultMaxAge),
			"a source's price observed longer ago is not used; no fresh price refuses the session (env PAYLINKS_ETH_RATE_MAX_AGE)"),
		timeout: fs.Duration("eth-rate-timeout", dur("PAYLINKS_ETH_RATE_TIMEOUT", ethrate.DefaultTimeout),
			"time each ETH price source has to answer; a slower one is left out (env PAYLINKS_ETH_RATE_TIMEOUT)"),
		testRate: fs.String("eth-test-rate", getenv("PAYLINKS_ETH_TEST_RATE"),
			"test mode's fixed ETH price (fiat units per ETH, any currency, e.g. 3000) when --eth-rate-sources is empty; sessions show it as fixed (env PAYLINKS_ETH_TEST_RATE)"),
	}
	for _, name := range ethrate.SourceNames {
		env := "PAYLINKS_ETH_RATE_URL_" + strings.ToUpper(name)
		usage := fmt.Sprintf("base URL of the %s price API; empty: its public API (env %s)", name, env)
		if name == "chainlink" {
			usage = fmt.Sprintf("JSON-RPC URL of the Ethereum node the chainlink source reads the feed through; it needs one (env %s)", env)
		}
		f.urls[name] = fs.String("eth-rate-url-"+name, getenv(env), usage)
	}
	f.chainlinkFeed = fs.String("eth-rate-chainlink-feed", getenv("PAYLINKS_ETH_RATE_CHAINLINK_FEED"),
		"address of the Chainlink ETH/USD aggregator the chainlink source reads; empty: mainnet's "+ethrate.DefaultChainlinkFeed+" (env PAYLINKS_ETH_RATE_CHAINLINK_FEED)")
	return f
}

// config returns the ethrate.Config the flags say.
func (f ethRateFlags) config() ethrate.Config {
	cfg := ethrate.Config{URLs: map[string]string{}, TTL: *f.ttl, MaxAge: *f.maxAge, Timeout: *f.timeout,
		TestRate: strings.TrimSpace(*f.testRate), ChainlinkFeed: strings.TrimSpace(*f.chainlinkFeed)}
	for _, s := range strings.Split(*f.sources, ",") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			cfg.Sources = append(cfg.Sources, s)
		}
	}
	for name, u := range f.urls {
		if *u != "" {
			cfg.URLs[name] = *u
		}
	}
	return cfg
}

// feed checks the flags and returns the ETH rate feed they configure.
func (f ethRateFlags) feed() (*ethrate.Feed, error) {
	feed, err := ethrate.New(f.config())
	if err != nil {
		return nil, fmt.Errorf("--eth-rate-*/--eth-test-rate: %w", err)
	}
	return feed, nil
}
