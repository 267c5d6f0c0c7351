package api

import (
	"net/url"
	"strings"
)

// rackQuery holds a query string parsed with Rack's nested rules, which the Pact clients'
// matrix queries rely on: q[][pacticipant]=Foo&q[][version]=1&q[][pacticipant]=Bar builds
// [{pacticipant: Foo, version: 1}, {pacticipant: Bar}] — a key starts a new hash when the
// last hash already has it.
type rackQuery struct {
	values map[string][]string            // plain keys and name[] arrays
	hashes map[string][]map[string]string // name[][key] arrays of hashes
}

func parseRackQuery(raw string) rackQuery {
	q := rackQuery{values: map[string][]string{}, hashes: map[string][]map[string]string{}}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		name, rest, nested := strings.Cut(key, "[")
		switch {
		case !nested:
			q.values[name] = append(q.values[name], val)
		case rest == "]":
			q.values[name+"[]"] = append(q.values[name+"[]"], val)
		case strings.HasPrefix(rest, "][") && strings.HasSuffix(rest, "]"):
			field := rest[2 : len(rest)-1]
			list := q.hashes[name]
			if len(list) == 0 || hasKey(list[len(list)-1], field) {
				list = append(list, map[string]string{})
			}
			list[len(list)-1][field] = val
			q.hashes[name] = list
		default:
			// name[key]=v: a single hash; kept as a plain value under the full key.
			q.values[key] = append(q.values[key], val)
		}
	}
	return q
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func (q rackQuery) get(name string) string {
	if v := q.values[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}
