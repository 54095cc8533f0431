package pgsql_test

import (
	"fmt"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

func ExampleNewClassifier() {
	cls := pgsql.NewClassifier(0)
	c, err := cls.Classify("SELECT name FROM customers WHERE id = 7; WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d")
	if err != nil {
		panic(err)
	}
	for _, s := range c.Statements {
		fmt.Println(s.Kind, s.ReadOnly, s.Tables)
	}
	// Output:
	// SELECT true [{ customers read}]
	// SELECT false [{ d read} { orders write}]
	// DELETE false [{ orders write}]
}

func ExampleParserClassifier() {
	c, err := pgsql.ParserClassifier{}.Classify("EXPLAIN ANALYZE DELETE FROM orders WHERE id = 1")
	if err != nil {
		panic(err)
	}
	for _, s := range c.Statements {
		fmt.Printf("kind=%s read_only=%v nested=%v has_where=%v\n", s.Kind, s.ReadOnly, s.Nested, s.HasWhere)
	}
	// Output:
	// kind=EXPLAIN read_only=false nested=false has_where=false
	// kind=DELETE read_only=false nested=true has_where=true
}
