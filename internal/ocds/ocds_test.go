package ocds

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/policies"
)

var (
	published = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	deadline  = time.Date(2026, 4, 1, 17, 0, 0, 0, time.UTC)
	closed    = deadline
	awardedAt = time.Date(2026, 4, 20, 12, 30, 0, 0, time.UTC)

	agency  = Organisation{ID: "org_agency", Name: "Department of Examples"}
	vendorA = Organisation{ID: "org_vendor_a", Name: "Acme Models Inc."}
	vendorB = Organisation{ID: "org_vendor_b", Name: "Open Weights Ltd"}
)

func solicitation(status domain.SolicitationStatus) domain.Solicitation {
	s := domain.Solicitation{
		ID:                   "sol_k3f9q2m8x1c7v4b6",
		Title:                "Summarisation model for benefits correspondence",
		Description:          "A model that summarises incoming letters for caseworkers.",
		Deadline:             deadline,
		Status:               status,
		PublishedAt:          &published,
		RiskTier:             domain.RiskStandard,
		ExpectedMonthlyUsers: 2500,
		MinimumOpennessClass: "II",
		UseCases:             []string{"summarisation"},
		PolicyRevision:       "sha256:8c1f0e3a",
		LargeLanguageModel:   true,
		Packs:                []string{"omb-m-25-22", "omb-m-26-04"},
		Weights:              domain.ScoringWeights{Openness: 0.4, Safety: 0.3, Price: 0.2, Fit: 0.1},
	}
	if status != domain.SolicitationPublished {
		s.ClosedAt = &closed
	}
	return s
}

// evidence is what the standard tier demands, as policies/data/evidence_requirements.json has it.
var evidence = []EvidenceRequirement{
	{Kind: "model-card", Title: "Model card", Source: "NIST AI RMF MEASURE 2.9"},
	{Kind: "red-team-report", Title: "Red-team report", Source: "NIST AI RMF MEASURE 2.7", MaxAgeMonths: 12},
}

func notice(s domain.Solicitation, at time.Time) Notice {
	return Notice{
		Solicitation:     s,
		Buyer:            agency,
		PublishedAt:      at,
		PublisherName:    "Department of Examples",
		OCIDPrefix:       "ocds-mtdr01",
		PackageURI:       "https://tender.example.gov/api/v1/solicitations/" + s.ID + "/ocds",
		RequiredEvidence: evidence,
		Packs:            policies.Selected(catalogue(), s.Packs, s.RiskTier),
	}
}

// catalogue is the embedded bundle's policy packs: the notice publishes the
// real packs, sources and sections.
func catalogue() []policies.Pack {
	packs, err := policies.Packs()
	if err != nil {
		panic(err)
	}
	return packs
}

// publishedTender is case (a): bidding open, nothing to disclose yet.
func publishedTender() Notice {
	return notice(solicitation(domain.SolicitationPublished), published)
}

// awardedTender is case (b): two tenderers, one award with value, one amendment.
func awardedTender() Notice {
	n := notice(solicitation(domain.SolicitationAwarded), awardedAt)
	n.Enquiries = 3
	n.Amendments = []Amendment{{ID: "amd_1", Date: time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC),
		Rationale: "Added a requirement for a data card; deadline unchanged (more than 3 days left)."}}
	n.Bids = []BidSummary{
		{ID: "bid_a", Tenderer: vendorA, SubmittedAt: time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC), Status: "valid",
			Price: &Value{Amount: 120000, Currency: "USD"},
			Responses: append([]RequirementResponse{{RequirementLicense, true}, {RequirementOpennessClass, 2},
				{EvidenceRequirementID("model-card"), true}, {EvidenceRequirementID("red-team-report"), true}},
				packResponses(n.Packs, domain.RiskStandard, nil)...)},
		{ID: "bid_b", Tenderer: vendorB, SubmittedAt: time.Date(2026, 3, 30, 15, 45, 0, 0, time.UTC), Status: "disqualified",
			Price: &Value{Amount: 90000, Currency: "USD"},
			Responses: append([]RequirementResponse{{RequirementLicense, false}, {RequirementOpennessClass, 3}},
				packResponses(n.Packs, domain.RiskStandard, []domain.Finding{refusedTraining})...)},
	}
	start, end := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 4, 30, 0, 0, 0, 0, time.UTC)
	n.Awards = []Award{{
		ID: "awd_1", BidID: "bid_a", Title: "Acme Summariser 7B",
		Description: "Award of bid bid_a, candidate Acme Summariser 7B.",
		Supplier:    vendorA, Date: awardedAt, Status: "active",
		Value:               &Value{Amount: 120000, Currency: "USD"},
		ContractPeriodStart: &start, ContractPeriodEnd: &end,
	}}
	return n
}

// refusedTraining is the finding on a vendor that will not commit to keep
// government data out of training.
var refusedTraining = domain.Finding{Rule: "packs.attestation-refused", Evidence: domain.Evidence{Component: "no-training-on-government-data"}}

// cancelledTender is case (c): cancelled before close, so bids stay sealed.
func cancelledTender() Notice {
	s := solicitation(domain.SolicitationCancelled)
	s.ClosedAt = nil
	n := notice(s, time.Date(2026, 3, 15, 11, 0, 0, 0, time.UTC))
	n.Bids = []BidSummary{{ID: "bid_a", Tenderer: vendorA, SubmittedAt: published.Add(time.Hour), Status: "pending"}}
	return n
}

func buildValid(t *testing.T, n Notice) (ReleasePackage, Release) {
	t.Helper()
	pkg, err := Build(n)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	doc, err := json.Marshal(pkg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(doc); err != nil {
		t.Fatalf("Validate: %v\n%s", err, doc)
	}
	if err := validateCore(doc); err != nil {
		t.Fatalf("not valid against the unextended core schema: %v", err)
	}
	return pkg, pkg.Releases[0]
}

// validateCore checks a document against the release package schema without
// the bid extension, to hold the claim that the patch only adds.
func validateCore(doc []byte) error {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, raw := range map[string][]byte{releaseSchemaURL: releaseSchema, releasePackageSchemaURL: releasePackageSchema} {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		if err := c.AddResource(url, v); err != nil {
			return err
		}
	}
	sch, err := c.Compile(releasePackageSchemaURL)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func TestPublishedTenderWithoutBids(t *testing.T) {
	pkg, r := buildValid(t, publishedTender())
	if pkg.Version != "1.1" || pkg.PublishedDate != "2026-03-02T09:00:00Z" {
		t.Errorf("package version %q date %q", pkg.Version, pkg.PublishedDate)
	}
	if r.OCID != "ocds-mtdr01-sol_k3f9q2m8x1c7v4b6" {
		t.Errorf("ocid = %q", r.OCID)
	}
	if !reflect.DeepEqual(r.Tag, []string{"tender"}) {
		t.Errorf("tag = %v", r.Tag)
	}
	tender := r.Tender
	if tender.Status != "active" || tender.ProcurementMethod != "open" || tender.MainProcurementCategory != "services" {
		t.Errorf("tender = %+v", tender)
	}
	if tender.TenderPeriod != (Period{StartDate: "2026-03-02T09:00:00Z", EndDate: "2026-04-01T17:00:00Z"}) {
		t.Errorf("tenderPeriod = %+v", tender.TenderPeriod)
	}
	if r.Bids != nil || tender.NumberOfTenderers != nil || tender.Tenderers != nil || r.Awards != nil {
		t.Errorf("bidding is open, yet bids are disclosed: %+v %+v", r.Bids, tender)
	}
	want := []Party{{ID: agency.ID, Name: agency.Name, Roles: []string{"buyer", "procuringEntity"}}}
	if !reflect.DeepEqual(r.Parties, want) {
		t.Errorf("parties = %+v", r.Parties)
	}
}

func TestSealedBidsAreNotPublished(t *testing.T) {
	n := publishedTender()
	n.Bids = []BidSummary{{ID: "bid_a", Tenderer: vendorA, SubmittedAt: published.Add(time.Hour), Status: "pending"}}
	_, r := buildValid(t, n)
	doc, _ := json.Marshal(r)
	if r.Bids != nil || len(r.Parties) != 1 || strings.Contains(string(doc), vendorA.ID) {
		t.Errorf("a bid before close leaked into the notice: %s", doc)
	}
}

func TestAwardedTender(t *testing.T) {
	_, r := buildValid(t, awardedTender())
	if !reflect.DeepEqual(r.Tag, []string{"award", "tenderAmendment"}) {
		t.Errorf("tag = %v", r.Tag)
	}
	if r.Tender.Status != "complete" || !r.Tender.HasEnquiries {
		t.Errorf("tender status %q hasEnquiries %v", r.Tender.Status, r.Tender.HasEnquiries)
	}
	if r.Tender.NumberOfTenderers == nil || *r.Tender.NumberOfTenderers != 2 || len(r.Tender.Tenderers) != 2 {
		t.Errorf("tenderers = %v %+v", r.Tender.NumberOfTenderers, r.Tender.Tenderers)
	}
	if len(r.Tender.Amendments) != 1 || r.Tender.Amendments[0].Date != "2026-03-20T10:00:00Z" {
		t.Errorf("amendments = %+v", r.Tender.Amendments)
	}
	wantParties := []Party{
		{ID: agency.ID, Name: agency.Name, Roles: []string{"buyer", "procuringEntity"}},
		{ID: vendorA.ID, Name: vendorA.Name, Roles: []string{"tenderer", "supplier"}},
		{ID: vendorB.ID, Name: vendorB.Name, Roles: []string{"tenderer"}},
	}
	if !reflect.DeepEqual(r.Parties, wantParties) {
		t.Errorf("parties = %+v", r.Parties)
	}
	wantStats := []BidStatistic{{ID: "bids", Measure: "bids", Value: 2}, {ID: "validBids", Measure: "validBids", Value: 1},
		{ID: "electronicBids", Measure: "electronicBids", Value: 2}, {ID: "bidders", Measure: "bidders", Value: 2},
		// No lowest or highest valid bid: prices are not published.
		{ID: "qualifiedBidders", Measure: "qualifiedBidders", Value: 1}, {ID: "disqualifiedBidders", Measure: "disqualifiedBidders", Value: 1}}
	if r.Bids == nil || !reflect.DeepEqual(r.Bids.Statistics, wantStats) || len(r.Bids.Details) != 2 ||
		r.Bids.Details[1].Status != "disqualified" {
		t.Errorf("bids = %+v", r.Bids)
	}
	if len(r.Awards) != 1 {
		t.Fatalf("awards = %+v", r.Awards)
	}
	a := r.Awards[0]
	if a.Status != "active" || a.RelatedBid != "bid_a" || *a.Value != (Value{Amount: 120000, Currency: "USD"}) ||
		a.Suppliers[0] != vendorA ||
		*a.ContractPeriod != (Period{StartDate: "2026-05-01T00:00:00Z", EndDate: "2027-04-30T00:00:00Z"}) {
		t.Errorf("award = %+v", a)
	}
}

func TestCancelledTender(t *testing.T) {
	_, r := buildValid(t, cancelledTender())
	if r.Tender.Status != "cancelled" || !reflect.DeepEqual(r.Tag, []string{"tenderCancellation"}) {
		t.Errorf("status %q tag %v", r.Tender.Status, r.Tag)
	}
	if r.Bids != nil {
		t.Errorf("cancelled before close, yet bids are disclosed: %+v", r.Bids)
	}
}

// Every solicitation status has a deliberate tender status, or none.
func TestTenderStatusMapping(t *testing.T) {
	active := []Award{{Status: "active"}}
	pending := []Award{{Status: "pending"}}
	failed := []Award{{Status: "unsuccessful"}, {Status: "cancelled"}}
	for _, tc := range []struct {
		status domain.SolicitationStatus
		awards []Award
		want   string
	}{
		{domain.SolicitationPublished, nil, "active"},
		{domain.SolicitationBidding, nil, "active"},
		{domain.SolicitationClosed, nil, "active"},
		{domain.SolicitationEvaluating, nil, "active"},
		{domain.SolicitationEvaluated, nil, "active"},
		{domain.SolicitationEvaluated, pending, "active"},
		{domain.SolicitationEvaluated, active, "complete"},
		{domain.SolicitationEvaluated, failed, "unsuccessful"},
		{domain.SolicitationAwardPending, pending, "active"},
		{domain.SolicitationStandstill, pending, "active"},
		{domain.SolicitationAwarded, active, "complete"},
		{domain.SolicitationCancelled, nil, "cancelled"},
		{domain.SolicitationDraft, nil, ""},
		{"some-future-state", nil, ""},
	} {
		got, err := tenderStatus(tc.status, tc.awards)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("tenderStatus(%s, %v) = %q, %v; want %q", tc.status, tc.awards, got, err, tc.want)
		}
	}
}

func TestIdentifiersAreStable(t *testing.T) {
	first, err := Build(awardedTender())
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(awardedTender())
	if err != nil {
		t.Fatal(err)
	}
	a, b := first.Releases[0], again.Releases[0]
	if a.ID != b.ID || a.OCID != b.OCID || !reflect.DeepEqual(first, again) {
		t.Errorf("the same notice built twice differs: %s vs %s", a.ID, b.ID)
	}
	if want := "ocds-mtdr01-sol_k3f9q2m8x1c7v4b6-award-tenderAmendment-20260420T123000Z"; a.ID != want {
		t.Errorf("release id = %q, want %q", a.ID, want)
	}

	// A later publication about the same process: same ocid, new release id.
	tender, err := Build(publishedTender())
	if err != nil {
		t.Fatal(err)
	}
	later := tender.Releases[0]
	if later.OCID != a.OCID || later.ID == a.ID {
		t.Errorf("ocid %q vs %q, release id %q vs %q", later.OCID, a.OCID, later.ID, a.ID)
	}
	n := publishedTender()
	n.PublishedAt = published.Add(24 * time.Hour)
	republished, err := Build(n)
	if err != nil {
		t.Fatal(err)
	}
	if republished.Releases[0].ID == later.ID {
		t.Errorf("two publications share release id %q", later.ID)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	pkg, err := Build(awardedTender())
	if err != nil {
		t.Fatal(err)
	}
	pkg.Releases[0].Tender.Status = "awarded" // not in the closed tenderStatus codelist
	pkg.Releases[0].Awards[0].Value.Currency = "DOLLARS"
	pkg.Releases[0].Bids.Details[0].Status = "accepted" // bid extension codelist, closed
	pkg.Releases[0].OCID = ""
	doc, err := json.Marshal(pkg)
	if err != nil {
		t.Fatal(err)
	}
	err = Validate(doc)
	if err == nil {
		t.Fatal("a broken package passed validation")
	}
	if domain.KindOf(err) != domain.ErrInvalid {
		t.Errorf("kind = %s", domain.KindOf(err))
	}
	for _, path := range []string{"/releases/0/tender/status", "/releases/0/awards/0/value/currency",
		"/releases/0/bids/details/0/status", "/releases/0/ocid"} {
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error does not name %s: %v", path, err)
		}
	}

	if err := Validate([]byte(`{"uri": "x"`)); domain.KindOf(err) != domain.ErrInvalid {
		t.Errorf("truncated JSON: %v", err)
	}
	if err := Validate([]byte(`{}`)); err == nil || !strings.Contains(err.Error(), "(document)") {
		t.Errorf("empty object: %v", err)
	}
}

func TestBuildRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Notice)
		kind domain.ErrorKind
	}{
		"bad prefix":         {func(n *Notice) { n.OCIDPrefix = "mtdr01" }, domain.ErrInvalid},
		"draft":              {func(n *Notice) { n.Solicitation.Status = domain.SolicitationDraft }, domain.ErrConflict},
		"no buyer":           {func(n *Notice) { n.Buyer = Organisation{} }, domain.ErrInvalid},
		"no date":            {func(n *Notice) { n.PublishedAt = time.Time{} }, domain.ErrInvalid},
		"duplicate bid":      {func(n *Notice) { n.Bids[1].ID = n.Bids[0].ID }, domain.ErrInvalid},
		"award to unknown":   {func(n *Notice) { n.Awards[0].BidID = "bid_x" }, domain.ErrInvalid},
		"award to non-owner": {func(n *Notice) { n.Awards[0].Supplier = vendorB }, domain.ErrInvalid},
		"award before close": {func(n *Notice) { n.Solicitation.Status = domain.SolicitationPublished }, domain.ErrConflict},
		"unknown currency":   {func(n *Notice) { n.Awards[0].Value.Currency = "XXY" }, domain.ErrInvalid},
		"unknown bid status": {func(n *Notice) { n.Bids[0].Status = "accepted" }, domain.ErrInvalid},
		"bad package uri":    {func(n *Notice) { n.PackageURI = "not a uri" }, domain.ErrInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			n := awardedTender()
			tc.edit(&n)
			_, err := Build(n)
			if err == nil || domain.KindOf(err) != tc.kind {
				t.Errorf("Build = %v (kind %s), want a %s error", err, domain.KindOf(err), tc.kind)
			}
		})
	}
}

// The schema leaves partyRole and bidStatistics open, so only this test
// catches a code the package writes that the codelists do not define.
func TestCodesAreInTheirCodelists(t *testing.T) {
	for file, codes := range map[string][]string{
		"codelists/releaseTag.csv":                   {tagTender, tagTenderAmendment, tagTenderCancellation, tagAward},
		"codelists/awardCriteria.csv":                {awardCriteriaRated},
		"codelists/documentType.csv":                 {documentEvaluation},
		"codelists/initiationType.csv":               {initiationTender},
		"codelists/method.csv":                       {methodOpen},
		"codelists/procurementCategory.csv":          {categoryServices},
		"codelists/tenderStatus.csv":                 {tenderActive, tenderComplete, tenderCancelled, tenderUnsuccessful},
		"codelists/partyRole.csv":                    {roleBuyer, roleProcuringEntity, roleTenderer, roleSupplier},
		"codelists/awardStatus.csv":                  {awardActive, awardPending},
		"ocds_bid_extension/codelists/bidStatus.csv": {bidValid, bidDisqual},
		"ocds_bid_extension/codelists/bidStatistics.csv": {statBids, statValidBids, statElectronicBids, statBidders, statQualifiedBidders,
			statDisqualifiedBidders, statLowestValidBid, statHighestValidBid},
		"ocds_requirements_extension/codelists/dataType.csv":                     {dataTypeBoolean, dataTypeInteger},
		"ocds_awardCriteriaBreakdown_extension/codelists/awardCriterionType.csv": {criterionPrice, criterionQuality},
		"ocds_awardCriteriaBreakdown_extension/codelists/criterionWeight.csv":    {weightDecimal},
		"ocds_complaint_extension/codelists/complaintType.csv":                   {complaintTypeClaim},
		"ocds_complaint_extension/codelists/complaintStatus.csv":                 {complaintStatusClaim, complaintStatusResolved, complaintStatusDeclined},
		"ocds_complaint_extension/codelists/complaintResolutionType.csv":         {resolutionResolved, resolutionDeclined},
	} {
		known := codelist(t, filepath.Join("schema", file))
		for _, c := range codes {
			if !known[c] {
				t.Errorf("%s has no code %q", file, c)
			}
		}
	}
}

func codelist(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	// openprocurement's complaintType.csv leaves commas in descriptions
	// unquoted; the code comes first in every codelist, so that is harmless.
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "Code" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s has no Code column", path)
	}
	known := map[string]bool{}
	for _, r := range rows[1:] {
		known[r[col]] = true
	}
	return known
}
