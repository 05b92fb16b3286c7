package chain_test

import (
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/chain/gethtest"
)

// TestWatcherGeth pays a deposit address with a real transaction on a real
// node (geth --dev, a block a second) and watches it, through JSON-RPC,
// until it has 3 confirmations.
func TestWatcherGeth(t *testing.T) {
	node := gethtest.Start(t, "--dev.period", "1")
	deposit := common.HexToAddress("0x4000000000000000000000000000000000000004")
	sink := newRecordingSink(deposit)
	w := chain.NewWatcher(node.Client, openStore(t, filepath.Join(t.TempDir(), "db")), sink, chain.WatcherConfig{Depth: 3})
	syncOnce(t, w)
	wei, _ := new(big.Int).SetString("1234567890123456789", 10) // ~1.23 ETH
	hash := node.Send(t, deposit, wei)

	deadline := time.Now().Add(60 * time.Second)
	for {
		syncOnce(t, w)
		if act, _, ok := sink.last(deposit); ok && len(act.Transfers) == 1 && act.Transfers[0].Confirmations >= 3 {
			got := act.Transfers[0]
			if got.TxHash != hash.Hex() || got.Wei.Cmp(wei) != 0 || got.To != strings.ToLower(deposit.Hex()) || act.ChainID != 1337 {
				t.Errorf("observed %+v on chain %d, want tx %s of %s wei on chain 1337", got, act.ChainID, hash.Hex(), wei)
			}
			return
		}
		if time.Now().After(deadline) {
			act, _, _ := sink.last(deposit)
			t.Fatalf("no payment with 3 confirmations within 60s; last activity %+v", act)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
