package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
)

func init() { register(newRecordArtifactCmd) }

type recordArtifactOptions struct {
	broker      brokerOptions
	output      outputFormat
	pacticipant string
	version     string
	image       string
	author      string
	buildURL    string
}

func newRecordArtifactCmd() *cobra.Command {
	o := &recordArtifactOptions{}
	cmd := &cobra.Command{
		Use:   "record-artifact",
		Short: "Record the image built from a version, by digest",
		Long: `Record the image built from a version of a pacticipant: the candidate the release gates judge.
The version is created when the pacticipant has none of that number yet. The digest is what
moves through the environments: promotion past the first environment requires it, and a
recorded digest never changes (another image is another build, so another version).`,
		Example: `  treaty record-artifact --pacticipant order-service --version a3f9c21 \
    --image registry.example/order-service:a3f9c21@sha256:4f1c… --author dana`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := gates.ParseImage("image", o.image); err != nil {
				return withCode(ExitUsage, fmt.Errorf("--image: %w", err))
			}
			c, err := o.broker.client()
			if err != nil {
				return err
			}
			cand, err := c.RecordArtifact(cmd.Context(), o.pacticipant, o.version, client.ArtifactRequest{Image: o.image, Author: o.author, BuildURL: o.buildURL})
			if err != nil {
				return brokerFailure(cmd, err)
			}
			if o.output.value == outputJSON {
				return printJSON(cmd.OutOrStdout(), cand.Raw)
			}
			digest := cand.Digest
			if digest == "" {
				digest = "none yet (record the image with its @sha256: digest before promoting it)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Recorded %s for %s %s (digest %s)\n", o.image, o.pacticipant, o.version, digest)
			return nil
		},
	}
	o.broker.addFlags(cmd)
	addOutputFlag(cmd, &o.output, outputText, outputJSON)
	f := cmd.Flags()
	f.StringVar(&o.pacticipant, "pacticipant", "", "name of the pacticipant (required)")
	f.StringVar(&o.version, "version", "", "version the image was built from, usually the commit id (required)")
	f.StringVar(&o.image, "image", "", "image reference, REPOSITORY[:TAG]@sha256:DIGEST (required)")
	f.StringVar(&o.author, "author", envOr("", "TREATY_AUTHOR"), "who made the change, whose approvals will not count (env TREATY_AUTHOR)")
	f.StringVar(&o.buildURL, "build-url", envOr("", "TREATY_BUILD_URL"), "URL of the build (env TREATY_BUILD_URL)")
	for _, name := range []string{"pacticipant", "version", "image"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
