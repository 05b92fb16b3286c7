package sqlite

import (
	"context"
	"strings"

	"github.com/paylinks/paylinks"
)

// LinkCharges returns the first per charges of each link and each link's
// number of charges, with one query over the charges-by-link index.
func (db *DB) LinkCharges(ctx context.Context, accountID paylinks.ID, livemode bool, linkIDs []paylinks.ID, per int) (map[paylinks.ID][]paylinks.Charge, map[paylinks.ID]int, error) {
	charges, totals := map[paylinks.ID][]paylinks.Charge{}, map[paylinks.ID]int{}
	if len(linkIDs) == 0 {
		return charges, totals, nil
	}
	args := []any{idArg(accountID), livemode}
	for _, id := range linkIDs {
		args = append(args, idArg(id))
	}
	args = append(args, per)
	// One prepared statement per number of links (at most a page, 100).
	stmt, err := db.rstmts.prepare(ctx, `SELECT `+chargeCols+`, n FROM (
		SELECT `+chargeCols+`,
			row_number() OVER (PARTITION BY link_id ORDER BY created_at, id) AS rn,
			count(*) OVER (PARTITION BY link_id) AS n
		FROM charges
		WHERE account_id = ? AND livemode = ? AND link_id IN (?`+strings.Repeat(", ?", len(linkIDs)-1)+`)
	) WHERE rn <= ? ORDER BY link_id, rn`)
	if err != nil {
		return nil, nil, wrap("LinkCharges", err)
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, nil, wrap("LinkCharges", err)
	}
	defer rows.Close()
	var n int
	count := []any{&n} // the column after the charge's: its link's number of charges
	for rows.Next() {
		c, err := scanCharge(extraScanner{rows, count})
		if err != nil {
			return nil, nil, wrap("LinkCharges", err)
		}
		charges[*c.LinkID] = append(charges[*c.LinkID], *c)
		totals[*c.LinkID] = n
	}
	return charges, totals, wrap("LinkCharges", rows.Err())
}
