// Package gethtest starts a real Ethereum node for tests: geth in --dev
// mode (chain id 1337, one funded and unlocked dev account, blocks mined
// on demand or every --dev.period seconds), on free loopback ports and a
// temporary data directory, stopped when the test ends.
//
// The binary is $PAYLINKS_TEST_GETH, else geth on $PATH. .ci/run builds it
// from the go-ethereum module paylinks requires and sets the variable. A
// test that needs it skips when there is none, and fails when $CI is set:
// in CI a skipped node test is a failure.
package gethtest

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Env is the environment variable naming the geth binary.
const Env = "PAYLINKS_TEST_GETH"

// Node is a running geth --dev.
type Node struct {
	// URL is the node's JSON-RPC endpoint, http://127.0.0.1:PORT.
	URL string
	// Client speaks to it; closed when the test ends.
	Client *ethclient.Client
	// RPC is Client's raw JSON-RPC connection.
	RPC *rpc.Client
	// Dev is the funded, unlocked dev account.
	Dev common.Address
}

// Binary returns the geth binary to run, skipping the test (failing it
// under CI) when there is none.
func Binary(tb testing.TB) string {
	tb.Helper()
	path := os.Getenv(Env)
	if path == "" {
		path, _ = exec.LookPath("geth")
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("no geth: $%s is empty and none is on $PATH, and CI requires the node tests (.ci/run builds it)", Env)
		}
		tb.Skipf("no geth: $%s is empty and none is on $PATH (build one: GOBIN=DIR go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10)", Env)
	}
	if _, err := os.Stat(path); err != nil {
		tb.Fatalf("geth %s: %v", path, err)
	}
	return path
}

// Start runs geth --dev with args added (e.g. "--dev.period", "1"), waits
// until it answers eth_chainId, and stops it when the test ends.
func Start(tb testing.TB, args ...string) *Node {
	tb.Helper()
	bin := Binary(tb)
	port, authPort := freePort(tb), freePort(tb)
	all := append([]string{"--dev", "--datadir", tb.TempDir(),
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(port), "--http.api", "eth,net,web3",
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(authPort),
		"--port", "0", "--nodiscover", "--maxpeers", "0", "--ipcdisable", "--verbosity", "2"}, args...)
	cmd := exec.Command(bin, all...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start geth: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if tb.Failed() {
			tb.Logf("geth output:\n%s", out.String())
		}
	})

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if c, err := rpc.DialContext(ctx, url); err == nil {
			cl := ethclient.NewClient(c)
			id, err := cl.ChainID(ctx)
			if err == nil && id.Sign() > 0 {
				tb.Cleanup(cl.Close)
				n := &Node{URL: url, Client: cl, RPC: c}
				var accts []common.Address
				if err := c.CallContext(ctx, &accts, "eth_accounts"); err != nil || len(accts) == 0 {
					tb.Fatalf("geth eth_accounts: %v, %v", accts, err)
				}
				n.Dev = accts[0]
				return n
			}
			cl.Close()
		}
		select {
		case <-exited:
			tb.Fatalf("geth exited before answering eth_chainId:\n%s", out.String())
		case <-ctx.Done():
			tb.Fatalf("geth did not answer eth_chainId within 60s:\n%s", out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Send sends wei from the dev account to `to` (eth_sendTransaction; the
// dev account is unlocked) and returns the transaction's hash.
func (n *Node) Send(tb testing.TB, to common.Address, wei *big.Int) common.Hash {
	tb.Helper()
	var h common.Hash
	err := n.RPC.CallContext(tb.Context(), &h, "eth_sendTransaction", map[string]any{
		"from": n.Dev, "to": to, "value": (*hexutil.Big)(wei),
	})
	if err != nil {
		tb.Fatalf("eth_sendTransaction: %v", err)
	}
	return h
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer safe for geth's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
