package client

import (
	"bytes"
	"encoding/json"
)

// Link is one HAL link.
type Link struct {
	Href      string `json:"href"`
	Name      string `json:"name,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

// LinkList holds the links of one relation. HAL allows a relation to be a single link object
// or an array of them; both decode into a LinkList.
type LinkList []Link

// UnmarshalJSON accepts a link object or an array of link objects.
func (l *LinkList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var links []Link
		if err := json.Unmarshal(data, &links); err != nil {
			return err
		}
		*l = links
		return nil
	}
	var link Link
	if err := json.Unmarshal(data, &link); err != nil {
		return err
	}
	*l = LinkList{link}
	return nil
}

// Links are a resource's _links, by relation.
type Links map[string]LinkList

// Get returns the first link of rel.
func (l Links) Get(rel string) (Link, bool) {
	if len(l[rel]) == 0 {
		return Link{}, false
	}
	return l[rel][0], true
}

// Named returns the link of rel whose name is name, as the Pact CLI picks the
// pb:record-deployment link of an environment.
func (l Links) Named(rel, name string) (Link, bool) {
	for _, link := range l[rel] {
		if link.Name == name {
			return link, true
		}
	}
	return Link{}, false
}

// Resource is what every HAL document has: its links, and the JSON the broker sent, kept so
// that a command asked for JSON output prints the broker's answer rather than our view of it.
type Resource struct {
	Links Links           `json:"_links,omitempty"`
	Raw   json.RawMessage `json:"-"`
}

func (r *Resource) setRaw(data []byte) { r.Raw = data }

// rawSetter is implemented by every type that embeds Resource.
type rawSetter interface{ setRaw([]byte) }

// decodeItems decodes the items of an embedded list one by one, so that each keeps the JSON
// the broker sent for it, as a resource fetched on its own does.
func decodeItems[T any, PT interface {
	*T
	rawSetter
}](raws []json.RawMessage) ([]T, error) {
	items := make([]T, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &items[i]); err != nil {
			return nil, err
		}
		PT(&items[i]).setRaw(raw)
	}
	return items, nil
}
