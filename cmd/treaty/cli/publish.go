package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
)

func init() { register(newPublishCmd) }

type publishOptions struct {
	broker   brokerOptions
	output   outputFormat
	version  string
	branch   string
	tags     []string
	buildURL string
	merge    bool
}

func newPublishCmd() *cobra.Command {
	o := &publishOptions{}
	cmd := &cobra.Command{
		Use:   "publish PACT_FILES_OR_DIRS...",
		Short: "Publish pact files to the broker",
		Long: `Publish the pacts of one consumer version. Directories are read for *.json files (not
recursively). All pacts must have the same consumer, and each consumer and provider pair may
appear in one file only. One publication is sent per provider.`,
		Example: `  treaty publish pacts/ --consumer-app-version $(git rev-parse HEAD) --branch main`,
		Args:    cobra.MinimumNArgs(1),
		RunE:    func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVarP(&o.version, "consumer-app-version", "a", "", "version of the consumer the pacts belong to (required)")
	f.StringVar(&o.branch, "branch", "", "branch of the consumer version")
	f.StringArrayVarP(&o.tags, "tag", "t", nil, "tag for the consumer version (repeatable)")
	f.StringVar(&o.buildURL, "build-url", "", "URL of the CI build that produced the pacts")
	f.BoolVar(&o.merge, "merge", false, "merge the interactions into a pact already published for this version, instead of replacing it")
	_ = cmd.MarkFlagRequired("consumer-app-version")
	return cmd
}

func (o *publishOptions) run(cmd *cobra.Command, args []string) error {
	pacts, err := readPactFiles(args)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	c, err := o.broker.client()
	if err != nil {
		return err
	}
	onConflict := client.OnConflictOverwrite
	if o.merge {
		onConflict = client.OnConflictMerge
	}
	stdout := cmd.OutOrStdout()
	var published []json.RawMessage
	for _, p := range pacts {
		res, err := c.Publish(cmd.Context(), client.PublishRequest{
			Pacticipant: p.consumer,
			Version:     o.version,
			Branch:      o.branch,
			BuildURL:    o.buildURL,
			Tags:        o.tags,
			Contracts:   []client.Contract{{Consumer: p.consumer, Provider: p.provider, Content: p.content, OnConflict: onConflict}},
		})
		if err != nil {
			// What was published before the failure stays published; say so in JSON too.
			if o.output.value == outputJSON && len(published) > 0 {
				_ = printJSON(stdout, published)
			}
			return brokerFailure(cmd, err)
		}
		published = append(published, res.Raw)
		if o.output.value == outputText {
			if len(res.Notices) == 0 {
				fmt.Fprintf(stdout, "Published the pact between %s and %s for %s version %s\n", p.consumer, p.provider, p.consumer, o.version)
			}
			printNotices(stdout, res.Notices)
		}
	}
	if o.output.value == outputJSON {
		return printJSON(stdout, published)
	}
	return nil
}

// pactFile is a pact read from disk.
type pactFile struct {
	path     string
	consumer string
	provider string
	content  []byte
}

// readPactFiles reads the pact files named by args (files, or directories holding *.json
// files), all of one consumer, sorted by provider. A consumer and provider pair found in two
// files is refused rather than merged: which interactions win would be a guess.
func readPactFiles(args []string) ([]pactFile, error) {
	var paths []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			// "pacts/x.json: no such file or directory" rather than "stat pacts/x.json: …".
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		if !info.IsDir() {
			paths = append(paths, filepath.Clean(arg))
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".json") {
				paths = append(paths, filepath.Join(arg, e.Name()))
			}
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no pact files (*.json) in %s", strings.Join(args, ", "))
	}

	var pacts []pactFile
	seen := map[string]bool{}
	byPair := map[[2]string]string{}
	for _, path := range paths {
		if seen[path] {
			continue // named twice, as a file and through its directory
		}
		seen[path] = true
		p, err := readPactFile(path)
		if err != nil {
			return nil, err
		}
		pair := [2]string{p.consumer, p.provider}
		if other, ok := byPair[pair]; ok {
			return nil, fmt.Errorf("%s and %s both hold the pact between %s and %s: publish one file per consumer and provider",
				other, path, p.consumer, p.provider)
		}
		byPair[pair] = path
		pacts = append(pacts, p)
	}
	for _, p := range pacts[1:] {
		if p.consumer != pacts[0].consumer {
			return nil, fmt.Errorf("the pacts have different consumers, %s (%s) and %s (%s): publish each consumer's pacts with its own version",
				pacts[0].consumer, pacts[0].path, p.consumer, p.path)
		}
	}
	sort.Slice(pacts, func(i, j int) bool { return pacts[i].provider < pacts[j].provider })
	return pacts, nil
}

// readPactFile reads one pact file and the names of its consumer and provider.
func readPactFile(path string) (pactFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return pactFile{}, err
	}
	var doc struct {
		Consumer struct {
			Name string `json:"name"`
		} `json:"consumer"`
		Provider struct {
			Name string `json:"name"`
		} `json:"provider"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		var syntax *json.SyntaxError
		var wrongType *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			line := bytes.Count(data[:syntax.Offset], []byte("\n")) + 1
			return pactFile{}, fmt.Errorf("%s: not valid JSON, line %d: %v", path, line, err)
		case errors.As(err, &wrongType) && wrongType.Field == "":
			return pactFile{}, fmt.Errorf("%s is not a pact file: it holds a JSON %s, not an object", path, wrongType.Value)
		case errors.As(err, &wrongType):
			return pactFile{}, fmt.Errorf("%s is not a pact file: its %s is a JSON %s", path, wrongType.Field, wrongType.Value)
		}
		return pactFile{}, fmt.Errorf("%s is not a pact file: %v", path, err)
	}
	if doc.Consumer.Name == "" || doc.Provider.Name == "" {
		return pactFile{}, fmt.Errorf("%s is not a pact file: it needs consumer.name and provider.name", path)
	}
	return pactFile{path: path, consumer: doc.Consumer.Name, provider: doc.Provider.Name, content: data}, nil
}
