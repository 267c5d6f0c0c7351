package monitor

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// condition is a compiled success or failure condition.
type condition struct {
	expr string
	prg  cel.Program
}

// conditionEnv declares what a condition sees: result, the first value, and results, all
// of them. Comparing a double with an integer literal ("result < 1") works as people expect.
var conditionEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("result", cel.DoubleType),
		cel.Variable("results", cel.ListType(cel.DoubleType)),
		cel.CrossTypeNumericComparisons(true),
		ext.Math(),
	)
	if err != nil {
		panic(err)
	}
	return env
}()

func compileCondition(expr string) (*condition, error) {
	ast, iss := conditionEnv.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%q: %w", expr, iss.Err())
	}
	if ast.OutputType() != cel.BoolType {
		return nil, fmt.Errorf("%q is a %s, want a condition (a bool)", expr, ast.OutputType())
	}
	prg, err := conditionEnv.Program(ast, cel.CostLimit(100000))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", expr, err)
	}
	return &condition{expr: expr, prg: prg}, nil
}

func (c *condition) eval(result float64, results []float64) (bool, error) {
	out, _, err := c.prg.Eval(map[string]any{"result": result, "results": results})
	if err != nil {
		return false, fmt.Errorf("condition %q: %w", c.expr, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("condition %q gave %v, not a bool", c.expr, out.Value())
	}
	return b, nil
}
