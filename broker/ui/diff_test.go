package ui

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/treaty-dev/treaty/broker"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDiffJSON(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before string
		after  string
		want   []jsonChange
	}{
		{"same", `{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, nil},
		{"changed scalar", `{"status":200}`, `{"status":201}`,
			[]jsonChange{{Path: "$.status", Kind: changeChanged, Old: "200", New: "201"}}},
		{"added and removed keys in order", `{"a":1,"c":"x"}`, `{"a":1,"b":true}`,
			[]jsonChange{{Path: "$.b", Kind: changeAdded, New: "true"}, {Path: "$.c", Kind: changeRemoved, Old: `"x"`}}},
		{"nested and quoted keys", `{"headers":{"Content-Type":"text/plain"}}`, `{"headers":{"Content-Type":"application/json"}}`,
			[]jsonChange{{Path: "$.headers['Content-Type']", Kind: changeChanged, Old: `"text/plain"`, New: `"application/json"`}}},
		{"arrays element by element", `{"items":[1,2,3]}`, `{"items":[1,5]}`,
			[]jsonChange{{Path: "$.items[1]", Kind: changeChanged, Old: "2", New: "5"}, {Path: "$.items[2]", Kind: changeRemoved, Old: "3"}}},
		{"type change", `{"body":{"id":1}}`, `{"body":[1]}`,
			[]jsonChange{{Path: "$.body", Kind: changeChanged, Old: `{"id":1}`, New: "[1]"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diffJSON("$", decode(t, tc.before), decode(t, tc.after))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("diff:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDiffPacts(t *testing.T) {
	before, err := broker.ParsePact([]byte(`{"consumer":{"name":"c"},"provider":{"name":"p"},
		"metadata":{"pactSpecification":{"version":"3.0.0"}},
		"interactions":[
			{"description":"get a thing","providerStates":[{"name":"a thing"}],"request":{"method":"GET","path":"/things/1"},"response":{"status":200,"body":{"id":1,"name":"x"}}},
			{"description":"delete a thing","request":{"method":"DELETE","path":"/things/1"},"response":{"status":204}},
			{"description":"list things","request":{"method":"GET","path":"/things"},"response":{"status":200}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	after, err := broker.ParsePact([]byte(`{"consumer":{"name":"c"},"provider":{"name":"p"},
		"metadata":{"pactSpecification":{"version":"4.0"}},
		"interactions":[
			{"description":"list things","request":{"method":"GET","path":"/things"},"response":{"status":200}},
			{"_id":"abc","description":"get a thing","providerStates":[{"name":"a thing"}],"request":{"method":"GET","path":"/things/1"},"response":{"status":200,"body":{"id":1,"title":"x"}}},
			{"description":"create a thing","request":{"method":"POST","path":"/things"},"response":{"status":201}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := diffPacts(before, after)
	if d.Unchanged != 1 {
		t.Errorf("unchanged = %d, want 1 (the _id does not count)", d.Unchanged)
	}
	if d.SpecBefore != "3.0.0" || d.SpecAfter != "4.0" {
		t.Errorf("specification change = %q → %q", d.SpecBefore, d.SpecAfter)
	}
	var kinds []string
	for _, c := range d.Interactions {
		kinds = append(kinds, c.Kind+" "+c.Description)
	}
	want := []string{"changed get a thing", "added create a thing", "removed delete a thing"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("interactions = %q, want %q", kinds, want)
	}
	changed := d.Interactions[0]
	wantChanges := []jsonChange{
		{Path: "$.response.body.name", Kind: changeRemoved, Old: `"x"`},
		{Path: "$.response.body.title", Kind: changeAdded, New: `"x"`},
	}
	if !reflect.DeepEqual(changed.Changes, wantChanges) {
		t.Errorf("changes = %+v, want %+v", changed.Changes, wantChanges)
	}
	if changed.Anchor != "i-abc" || changed.States != "a thing" {
		t.Errorf("anchor %q states %q", changed.Anchor, changed.States)
	}
	if d.Empty() {
		t.Error("a diff with changes reports empty")
	}
}
