// Package ocds owns the public notice: it turns what a solicitation may
// publish into an Open Contracting Data Standard 1.1 release package and
// validates packages against the official schema vendored in schema/,
// patched with the official extensions the package declares.
//
// The notice carries the tender (dates, status, amendments, whether
// questions were asked), what candidates are judged on (criteria with their
// requirement groups: license terms for the intended use, the minimum
// openness class, the safety evidence the risk tier demands, and one
// criterion per policy pack with its dated sources, the evidence it requires
// and the contract terms it asks the vendor to attest; the award criteria
// with their weights; the policy revision frozen at publication),
// the parties, bid statistics and one entry per bid, the awards, and the
// protests of awards as complaints. OCDS 1.1 core has no place for most of
// this, so the package declares and validates against the extensions that
// add it: bids, lots, requirements, award criteria breakdown and complaints
// (schema/README.md).
//
// Nothing else from a bid is published: no manifests, findings, scores or
// candidate models, and no bid's price unless the visibility table shows
// prices to the public (it does not: the award's value is published); the
// award's title and description name what was
// awarded, and once the award stands each bid's responses to the
// requirements (met or not) are published; the responses to the packs'
// requirements only for the awarded bid, as the visibility table keeps
// losing bids' manifests and evaluations from the public. Bids of a solicitation that has
// not closed stay sealed: Build leaves them out whatever the caller passes.
//
// Build does no I/O and reads no clock, so a workflow or a handler can call it
// and the same notice always yields the same document.
package ocds

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/visibility"
	"github.com/modeltender/modeltender/policies"
)

// Organisation is a party to the process; its role follows from where it is
// used (buyer, tenderer, supplier). In the release it is also the reference
// (OCDS OrganizationReference) that points at the party's entry.
type Organisation struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// BidSummary is the public part of one bid, published once bidding closed.
type BidSummary struct {
	ID          string
	Tenderer    Organisation
	SubmittedAt time.Time
	Status      string // bidStatus codelist: valid | disqualified | withdrawn | pending
	// Price is the bid's price; the notice publishes it, and counts it
	// towards the lowest and highest valid bid, only where the visibility
	// table shows prices to the public (publicValue). Nil: the bid named none.
	Price *Value
	// Responses are how the bid met each published requirement (the
	// requirement ids are RequirementLicense, RequirementOpennessClass,
	// EvidenceRequirementID(kind) and the packs' PackEvidenceRequirementID
	// and PackTermRequirementID); they are published where the visibility
	// table shows responses to the public: every bid's once the award stands.
	Responses []RequirementResponse
}

// RequirementResponse is a bid's answer to one requirement: true or false
// for the boolean ones, the MOF class number (1-3) reached for the openness
// class.
type RequirementResponse struct {
	RequirementID string
	Value         any // bool, int or float64
}

// Award is the officer's award of a bid.
type Award struct {
	ID, BidID, Title, Description string
	Supplier                      Organisation
	Date                          time.Time
	Status                        string // awardStatus codelist: pending | active | cancelled | unsuccessful
	Value                         *Value
	ContractPeriodStart           *time.Time
	ContractPeriodEnd             *time.Time
	// StandstillUntil ends the period in which losing vendors may protest
	// the award (its complaintPeriod); nil: none is published.
	StandstillUntil *time.Time
	// Pin is what the award binds (provenance.go); nil publishes none.
	Pin *domain.AwardPin
}

// EvidenceRequirement is one kind of evidence the solicitation's risk tier
// demands (policies/data/evidence_requirements.json), as published.
type EvidenceRequirement struct {
	Kind, Title string
	Source      string // where the requirement comes from, e.g. "NIST AI RMF MEASURE 2.7"
	// MaxAgeMonths > 0: the evidence must be dated within that many months
	// before the deadline.
	MaxAgeMonths int
	// Pack names the dated set of requirements it belongs to, if any.
	Pack string
}

// Protest is a losing vendor's challenge of an award, published as a
// complaint on that award. Its grounds are the vendor's document and are
// not published; the officer's written decision is.
type Protest struct {
	ID, AwardID string
	Vendor      Organisation
	FiledAt     time.Time
	Outcome     string // "" while undecided, upheld or dismissed (domain.Protest*)
	Decision    string
	DecidedAt   *time.Time
}

// Value is an amount of money in an ISO 4217 currency.
type Value struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// Amendment is a published change to the solicitation's requirements.
type Amendment struct {
	ID        string
	Date      time.Time
	Rationale string
}

// Notice is everything one publication of the notice is built from.
type Notice struct {
	Solicitation domain.Solicitation
	Buyer        Organisation
	Bids         []BidSummary
	Awards       []Award
	Amendments   []Amendment
	// Enquiries is the number of vendor questions; OCDS 1.1 core only has
	// tender.hasEnquiries, so only whether there were any is published.
	Enquiries int
	// RequiredEvidence is the safety evidence the solicitation's risk tier
	// demands; empty publishes no evidence criterion.
	RequiredEvidence []EvidenceRequirement
	// Packs are the policy packs the solicitation applies
	// (policies.Selected), each published as a criterion of what it asks at
	// the solicitation's risk tier.
	Packs []policies.Pack
	// Protests of the awards; each must name an award of the notice.
	Protests      []Protest
	PublishedAt   time.Time // the release date; each publication needs its own
	PublisherName string
	OCIDPrefix    string // registered with the Open Contracting Partnership, e.g. "ocds-mtdr01"
	PackageURI    string // absolute URL the package is served at; the schema requires it
	// ChainHead is the audit chain's head at publication (provenance.go);
	// nil publishes none.
	ChainHead *ChainHead
}

// Codes this package writes itself; each is checked against its vendored
// codelist in the tests, because the schema leaves partyRole,
// bidStatistics, documentType and the award criteria codes open and would
// not catch a typo.
const (
	tagTender             = "tender"
	tagTenderAmendment    = "tenderAmendment"
	tagTenderCancellation = "tenderCancellation"
	tagAward              = "award"

	initiationTender = "tender"
	methodOpen       = "open"
	categoryServices = "services"

	tenderActive       = "active"
	tenderComplete     = "complete"
	tenderCancelled    = "cancelled"
	tenderUnsuccessful = "unsuccessful"

	roleBuyer           = "buyer"
	roleProcuringEntity = "procuringEntity"
	roleTenderer        = "tenderer"
	roleSupplier        = "supplier"

	statBids                = "bids"
	statValidBids           = "validBids"
	statElectronicBids      = "electronicBids"
	statBidders             = "bidders"
	statQualifiedBidders    = "qualifiedBidders"
	statDisqualifiedBidders = "disqualifiedBidders"
	statLowestValidBid      = "lowestValidBidValue"
	statHighestValidBid     = "highestValidBidValue"

	awardActive  = "active"
	awardPending = "pending"
	bidValid     = "valid"
	bidDisqual   = "disqualified"

	awardCriteriaRated = "ratedCriteria"
	documentEvaluation = "evaluationCriteria"

	criterionPrice   = "price"
	criterionQuality = "quality"
	weightDecimal    = "decimalExact"

	dataTypeBoolean = "boolean"
	dataTypeInteger = "integer"

	// A protest is a "claim": an appeal to the procuring entity, whose
	// officer decides it; "claim" is also the status of one not yet answered.
	complaintTypeClaim      = "claim"
	complaintStatusClaim    = "claim"
	complaintStatusResolved = "resolved"
	complaintStatusDeclined = "declined"
	resolutionResolved      = "resolved"
	resolutionDeclined      = "declined"
)

const (
	// ocdsVersion is the major.minor the package declares (the schema's pattern).
	ocdsVersion              = "1.1"
	procurementMethodDetails = "Open solicitation for AI models: any registered vendor may submit a sealed bid " +
		"of candidate models, each evaluated for licence, safety and openness before award."
	// lotID is the one lot of a solicitation: the lots extension is declared
	// because award criteria breakdowns live on lots.
	lotID = "1"
)

// ocidPrefix is the shape of prefixes the Open Contracting Partnership assigns.
var ocidPrefix = regexp.MustCompile(`^ocds-[a-z0-9]{6}$`)

// ReleasePackage is an OCDS 1.1 release package holding one release.
type ReleasePackage struct {
	URI           string    `json:"uri"`
	Version       string    `json:"version"`
	Extensions    []string  `json:"extensions"`
	PublishedDate string    `json:"publishedDate"`
	Publisher     Publisher `json:"publisher"`
	Releases      []Release `json:"releases"`
}

// Publisher names who publishes the package.
type Publisher struct {
	Name string `json:"name"`
}

// Release is the state of one contracting process at one publication.
type Release struct {
	OCID           string         `json:"ocid"`
	ID             string         `json:"id"`
	Date           string         `json:"date"`
	Tag            []string       `json:"tag"`
	InitiationType string         `json:"initiationType"`
	Parties        []Party        `json:"parties"`
	Buyer          Organisation   `json:"buyer"`
	Tender         Tender         `json:"tender"`
	Bids           *Bids          `json:"bids,omitempty"`
	Awards         []ReleaseAward `json:"awards,omitempty"`
}

// Party is an organisation named in the release, with every role it plays.
// It has no legal identifier because modeltender holds none; id is the
// organisation's modeltender id, which is stable across releases.
type Party struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// Tender is the solicitation as OCDS sees it.
type Tender struct {
	ID                       string             `json:"id"`
	Title                    string             `json:"title"`
	Description              string             `json:"description,omitempty"`
	Status                   string             `json:"status"`
	ProcuringEntity          Organisation       `json:"procuringEntity"`
	ProcurementMethod        string             `json:"procurementMethod"`
	ProcurementMethodDetails string             `json:"procurementMethodDetails"`
	MainProcurementCategory  string             `json:"mainProcurementCategory"`
	AwardCriteria            string             `json:"awardCriteria"`
	AwardCriteriaDetails     string             `json:"awardCriteriaDetails"`
	TenderPeriod             Period             `json:"tenderPeriod"`
	HasEnquiries             bool               `json:"hasEnquiries"`
	NumberOfTenderers        *int               `json:"numberOfTenderers,omitempty"`
	Tenderers                []Organisation     `json:"tenderers,omitempty"`
	Amendments               []ReleaseAmendment `json:"amendments,omitempty"`
	Documents                []Document         `json:"documents,omitempty"`
	Criteria                 []Criterion        `json:"criteria,omitempty"` // requirements extension
	Lots                     []Lot              `json:"lots"`               // lots extension
}

// Period is a span of time; either end may be unknown.
type Period struct {
	StartDate string `json:"startDate,omitempty"`
	EndDate   string `json:"endDate,omitempty"`
}

// ReleaseAmendment is an Amendment as published.
type ReleaseAmendment struct {
	ID        string `json:"id"`
	Date      string `json:"date"`
	Rationale string `json:"rationale,omitempty"`
}

// Document is a published document about the tender; modeltender publishes
// the policy revision the solicitation froze as one, without a file.
type Document struct {
	ID            string `json:"id"`
	DocumentType  string `json:"documentType"`
	Title         string `json:"title"`
	Description   string `json:"description"`
	DatePublished string `json:"datePublished,omitempty"`
}

// Bids is the bid extension's section: counts and one entry per bid.
type Bids struct {
	Statistics []BidStatistic `json:"statistics"`
	Details    []Bid          `json:"details,omitempty"`
}

// BidStatistic is one aggregate (bidStatistics codelist): a count, or an
// amount with its currency.
type BidStatistic struct {
	ID       string  `json:"id"`
	Measure  string  `json:"measure"`
	Value    float64 `json:"value"`
	Currency string  `json:"currency,omitempty"`
}

// Bid is one bid as published: who, when and its status, nothing of its
// content; after the award, how it met each requirement.
type Bid struct {
	ID                   string                       `json:"id"`
	Date                 string                       `json:"date"`
	Status               string                       `json:"status"`
	Tenderers            []Organisation               `json:"tenderers"`
	Value                *Value                       `json:"value,omitempty"`                // once bids are opened
	RequirementResponses []ReleaseRequirementResponse `json:"requirementResponses,omitempty"` // requirements extension
}

// ReleaseAward is an Award as published.
type ReleaseAward struct {
	ID              string             `json:"id"`
	Title           string             `json:"title,omitempty"`
	Description     string             `json:"description,omitempty"`
	Status          string             `json:"status"`
	Date            string             `json:"date"`
	Value           *Value             `json:"value,omitempty"`
	Suppliers       []Organisation     `json:"suppliers"`
	ContractPeriod  *Period            `json:"contractPeriod,omitempty"`
	RelatedBid      string             `json:"relatedBid,omitempty"`      // bid extension
	ComplaintPeriod *Period            `json:"complaintPeriod,omitempty"` // complaint extension
	Complaints      []ReleaseComplaint `json:"complaints,omitempty"`      // complaint extension
	Documents       []Document         `json:"documents,omitempty"`
}

// ReleaseComplaint is a Protest as published: an appeal to the procuring
// entity (a "claim" in the complaint extension), and its answer.
type ReleaseComplaint struct {
	ID             string       `json:"id"`
	Type           string       `json:"type"`
	Status         string       `json:"status"`
	Title          string       `json:"title"`
	Author         Organisation `json:"author"`
	Date           string       `json:"date"`
	DateSubmitted  string       `json:"dateSubmitted"`
	ResolutionType string       `json:"resolutionType,omitempty"`
	Resolution     string       `json:"resolution,omitempty"`
	DateAnswered   string       `json:"dateAnswered,omitempty"`
}

// OCID is the open contracting id of a solicitation: the publisher's prefix
// and the solicitation id, the same in every release about it.
func OCID(prefix, solicitationID string) string {
	return prefix + "-" + solicitationID
}

// Build assembles the release package for one publication of the notice and
// validates it against the vendored schema, so an invalid notice is never
// published. Errors are domain errors: invalid for bad input, conflict for a
// solicitation that cannot have a notice (a draft) or awards before close.
func Build(n Notice) (ReleasePackage, error) {
	s := n.Solicitation
	fail := func(err error) (ReleasePackage, error) {
		return ReleasePackage{}, fmt.Errorf("build notice for solicitation %s: %w", s.ID, err)
	}
	base, err := criteriaOf(s, n.RequiredEvidence)
	if err != nil {
		return fail(err)
	}
	criteria := slices.Concat(base, packCriteria(s, n.Packs))
	if err := checkNotice(n, requirementIDs(criteria)); err != nil {
		return fail(err)
	}
	status, err := tenderStatus(s.Status, n.Awards)
	if err != nil {
		return fail(err)
	}

	buyer := n.Buyer
	parties := partyList{}
	parties.add(n.Buyer, roleBuyer, roleProcuringEntity)

	weights := s.Weights
	if weights == (domain.ScoringWeights{}) {
		weights = domain.DefaultWeights // as the solicitation workflow ranks
	}
	tender := Tender{
		ID:                       s.ID,
		Title:                    s.Title,
		Description:              s.Description,
		Status:                   status,
		ProcuringEntity:          buyer,
		ProcurementMethod:        methodOpen,
		ProcurementMethodDetails: procurementMethodDetails,
		MainProcurementCategory:  categoryServices,
		AwardCriteria:            awardCriteriaRated,
		AwardCriteriaDetails:     awardCriteriaDetails(weights),
		TenderPeriod:             Period{StartDate: dateTimePtr(s.PublishedAt), EndDate: dateTime(s.Deadline)},
		HasEnquiries:             n.Enquiries > 0,
		Criteria:                 criteria,
		Lots:                     []Lot{{ID: lotID, Title: s.Title, AwardCriteria: awardCriteriaOf(weights)}},
	}
	if s.PolicyRevision != "" {
		tender.Documents = []Document{policyDocument(s)}
	}
	if n.ChainHead != nil {
		tender.Documents = append(tender.Documents, chainHeadDocument(s, *n.ChainHead, dateTime(n.PublishedAt)))
	}
	for _, a := range n.Amendments {
		tender.Amendments = append(tender.Amendments, ReleaseAmendment{ID: a.ID, Date: dateTime(a.Date), Rationale: a.Rationale})
	}

	var bids *Bids
	if !sealed(s) {
		bids = &Bids{Statistics: statistics(publicPrices(s, n.Bids))}
		seen := map[string]bool{}
		for _, b := range n.Bids {
			ref := b.Tenderer
			parties.add(b.Tenderer, roleTenderer)
			if !seen[ref.ID] {
				seen[ref.ID] = true
				tender.Tenderers = append(tender.Tenderers, ref)
			}
			d := Bid{ID: b.ID, Date: dateTime(b.SubmittedAt), Status: b.Status, Tenderers: []Organisation{ref}, Value: publicValue(s, b)}
			if visibility.Sees(visibility.Responses, visibility.Anonymous, visibility.PhaseOf(s)) {
				d.RequirementResponses = responsesOf(b, criteria)
			}
			bids.Details = append(bids.Details, d)
		}
		count := len(tender.Tenderers)
		tender.NumberOfTenderers = &count
	}

	var awards []ReleaseAward
	for _, a := range n.Awards {
		parties.add(a.Supplier, roleSupplier)
		ra := ReleaseAward{ID: a.ID, Title: a.Title, Description: a.Description, Status: a.Status,
			Date: dateTime(a.Date), Value: a.Value, Suppliers: []Organisation{a.Supplier},
			RelatedBid: a.BidID, Complaints: complaintsOf(a.ID, n.Protests)}
		if a.ContractPeriodStart != nil || a.ContractPeriodEnd != nil {
			ra.ContractPeriod = &Period{StartDate: dateTimePtr(a.ContractPeriodStart), EndDate: dateTimePtr(a.ContractPeriodEnd)}
		}
		if a.StandstillUntil != nil {
			ra.ComplaintPeriod = &Period{EndDate: dateTime(*a.StandstillUntil)}
		}
		if a.Pin != nil {
			d, err := pinDocument(a)
			if err != nil {
				return fail(err)
			}
			ra.Documents = []Document{d}
		}
		awards = append(awards, ra)
	}

	tags := releaseTags(s.Status, n.Awards, len(n.Amendments) > 0)
	ocid := OCID(n.OCIDPrefix, s.ID)
	rel := Release{
		OCID:           ocid,
		ID:             ReleaseID(ocid, tags, n.PublishedAt),
		Date:           dateTime(n.PublishedAt),
		Tag:            tags,
		InitiationType: initiationTender,
		Parties:        parties.list,
		Buyer:          buyer,
		Tender:         tender,
		Bids:           bids,
		Awards:         awards,
	}
	pkg := ReleasePackage{
		URI:           n.PackageURI,
		Version:       ocdsVersion,
		Extensions:    extensionURLs(),
		PublishedDate: dateTime(n.PublishedAt),
		Publisher:     Publisher{Name: n.PublisherName},
		Releases:      []Release{rel},
	}
	doc, err := json.Marshal(pkg)
	if err != nil {
		return fail(fmt.Errorf("encode: %w", err))
	}
	if err := Validate(doc); err != nil {
		return fail(err)
	}
	return pkg, nil
}

// statistics counts the bids and bidders by outcome; the lowest and highest
// valid bid values are given only when every valid bid has a price in one
// currency, since amounts in different currencies do not compare.
func statistics(bids []BidSummary) []BidStatistic {
	valid := 0
	bidder := map[string]string{} // tenderer -> valid, disqualified or "" (neither yet)
	var prices []Value
	priced := true
	for _, b := range bids {
		switch b.Status {
		case bidValid:
			valid++
			bidder[b.Tenderer.ID] = bidValid
			if b.Price == nil || (len(prices) > 0 && b.Price.Currency != prices[0].Currency) {
				priced = false
			} else {
				prices = append(prices, *b.Price)
			}
		case bidDisqual:
			if bidder[b.Tenderer.ID] != bidValid {
				bidder[b.Tenderer.ID] = bidDisqual
			}
		default:
			if _, ok := bidder[b.Tenderer.ID]; !ok {
				bidder[b.Tenderer.ID] = ""
			}
		}
	}
	qualified, disqualified := 0, 0
	for _, outcome := range bidder {
		switch outcome {
		case bidValid:
			qualified++
		case bidDisqual:
			disqualified++
		}
	}
	stats := []BidStatistic{
		{ID: statBids, Measure: statBids, Value: float64(len(bids))},
		{ID: statValidBids, Measure: statValidBids, Value: float64(valid)},
		// Every bid reaches modeltender through its API or web forms.
		{ID: statElectronicBids, Measure: statElectronicBids, Value: float64(len(bids))},
		{ID: statBidders, Measure: statBidders, Value: float64(len(bidder))},
		{ID: statQualifiedBidders, Measure: statQualifiedBidders, Value: float64(qualified)},
		{ID: statDisqualifiedBidders, Measure: statDisqualifiedBidders, Value: float64(disqualified)},
	}
	if priced && len(prices) > 0 {
		lo, hi := prices[0], prices[0]
		for _, p := range prices[1:] {
			if p.Amount < lo.Amount {
				lo = p
			}
			if p.Amount > hi.Amount {
				hi = p
			}
		}
		stats = append(stats,
			BidStatistic{ID: statLowestValidBid, Measure: statLowestValidBid, Value: lo.Amount, Currency: lo.Currency},
			BidStatistic{ID: statHighestValidBid, Measure: statHighestValidBid, Value: hi.Amount, Currency: hi.Currency})
	}
	return stats
}

// complaintsOf publishes the protests of one award, oldest first as given.
func complaintsOf(awardID string, protests []Protest) []ReleaseComplaint {
	var out []ReleaseComplaint
	for _, p := range protests {
		if p.AwardID != awardID {
			continue
		}
		c := ReleaseComplaint{ID: p.ID, Type: complaintTypeClaim, Status: complaintStatusClaim,
			Title: "Protest of award " + awardID, Author: p.Vendor,
			Date: dateTime(p.FiledAt), DateSubmitted: dateTime(p.FiledAt)}
		switch p.Outcome {
		case domain.ProtestUpheld:
			c.Status, c.ResolutionType = complaintStatusResolved, resolutionResolved
		case domain.ProtestDismissed:
			c.Status, c.ResolutionType = complaintStatusDeclined, resolutionDeclined
		}
		if p.Outcome != "" {
			c.Resolution, c.DateAnswered = p.Decision, dateTimePtr(p.DecidedAt)
		}
		out = append(out, c)
	}
	return out
}

// ReleaseID identifies one publication: the ocid, what the release announces
// and when, so republishing the same state gives the same id and a later
// publication a new one.
func ReleaseID(ocid string, tags []string, publishedAt time.Time) string {
	return ocid + "-" + strings.Join(tags, "-") + "-" + publishedAt.UTC().Format("20060102T150405Z")
}

// checkNotice rejects input the schema cannot judge: missing ids, dangling
// references, and notices that must not exist yet.
func checkNotice(n Notice, requirements map[string]bool) error {
	switch {
	case !ocidPrefix.MatchString(n.OCIDPrefix):
		return domain.Errorf(domain.ErrInvalid, "OCID prefix %q is not of the form ocds-xxxxxx (six lower-case letters or digits); register one with the Open Contracting Partnership", n.OCIDPrefix)
	case n.Solicitation.ID == "":
		return domain.Errorf(domain.ErrInvalid, "the solicitation has no id")
	case n.Solicitation.Status == domain.SolicitationDraft:
		return domain.Errorf(domain.ErrConflict, "a draft solicitation has no public notice; publish it first")
	case n.Buyer.ID == "" || n.Buyer.Name == "":
		return domain.Errorf(domain.ErrInvalid, "the buyer needs an id and a name")
	case n.PublishedAt.IsZero():
		return domain.Errorf(domain.ErrInvalid, "the notice has no publication date")
	case n.PublisherName == "":
		return domain.Errorf(domain.ErrInvalid, "the notice has no publisher name")
	case sealed(n.Solicitation) && len(n.Awards) > 0:
		return domain.Errorf(domain.ErrConflict, "solicitation %s has not closed, so it cannot have awards", n.Solicitation.ID)
	}
	bidTenderer := map[string]string{}
	for i, b := range n.Bids {
		if b.ID == "" || b.Tenderer.ID == "" || b.Tenderer.Name == "" {
			return domain.Errorf(domain.ErrInvalid, "bid %d needs an id and a tenderer with an id and a name", i)
		}
		if _, dup := bidTenderer[b.ID]; dup {
			return domain.Errorf(domain.ErrInvalid, "bid %s is listed twice", b.ID)
		}
		bidTenderer[b.ID] = b.Tenderer.ID
		answered := map[string]bool{}
		for _, r := range b.Responses {
			if !requirements[r.RequirementID] {
				return domain.Errorf(domain.ErrInvalid, "bid %s responds to requirement %q, which the notice does not publish", b.ID, r.RequirementID)
			}
			if answered[r.RequirementID] {
				return domain.Errorf(domain.ErrInvalid, "bid %s responds to requirement %s twice", b.ID, r.RequirementID)
			}
			answered[r.RequirementID] = true
		}
	}
	awardIDs := map[string]bool{}
	for i, a := range n.Awards {
		if a.ID == "" || a.Supplier.ID == "" || a.Supplier.Name == "" {
			return domain.Errorf(domain.ErrInvalid, "award %d needs an id and a supplier with an id and a name", i)
		}
		if awardIDs[a.ID] {
			return domain.Errorf(domain.ErrInvalid, "award %s is listed twice", a.ID)
		}
		awardIDs[a.ID] = true
		if a.BidID == "" {
			continue
		}
		tenderer, ok := bidTenderer[a.BidID]
		if !ok {
			return domain.Errorf(domain.ErrInvalid, "award %s refers to bid %s, which is not in the notice", a.ID, a.BidID)
		}
		if tenderer != a.Supplier.ID {
			return domain.Errorf(domain.ErrInvalid, "award %s goes to %s but bid %s was submitted by %s", a.ID, a.Supplier.ID, a.BidID, tenderer)
		}
	}
	tenderers := map[string]bool{}
	for _, t := range bidTenderer {
		tenderers[t] = true
	}
	protests := map[string]bool{}
	for i, p := range n.Protests {
		switch {
		case p.ID == "" || p.Vendor.ID == "" || p.Vendor.Name == "" || p.FiledAt.IsZero():
			return domain.Errorf(domain.ErrInvalid, "protest %d needs an id, a vendor with an id and a name, and a filing date", i)
		case protests[p.ID]:
			return domain.Errorf(domain.ErrInvalid, "protest %s is listed twice", p.ID)
		case !awardIDs[p.AwardID]:
			return domain.Errorf(domain.ErrInvalid, "protest %s is of award %q, which is not in the notice", p.ID, p.AwardID)
		case !tenderers[p.Vendor.ID]:
			return domain.Errorf(domain.ErrInvalid, "protest %s comes from %s, which did not bid", p.ID, p.Vendor.ID)
		case p.Outcome != "" && p.Outcome != domain.ProtestUpheld && p.Outcome != domain.ProtestDismissed:
			return domain.Errorf(domain.ErrInvalid, "protest %s has outcome %q: want %s or %s", p.ID, p.Outcome, domain.ProtestUpheld, domain.ProtestDismissed)
		case p.Outcome != "" && (p.DecidedAt == nil || p.Decision == ""):
			return domain.Errorf(domain.ErrInvalid, "protest %s was %s without a written decision and its date", p.ID, p.Outcome)
		}
		protests[p.ID] = true
	}
	return nil
}

// tenderStatus maps the solicitation's lifecycle onto the closed tenderStatus
// codelist. Evaluation still belongs to the tender process, so it stays active
// until an award is made; an unknown status is an error, so that a new
// lifecycle state gets a deliberate mapping instead of a guess.
func tenderStatus(s domain.SolicitationStatus, awards []Award) (string, error) {
	switch s {
	case domain.SolicitationPublished, domain.SolicitationBidding, domain.SolicitationClosed, domain.SolicitationEvaluating:
		return tenderActive, nil
	case domain.SolicitationCancelled:
		return tenderCancelled, nil
	case domain.SolicitationAwardPending, domain.SolicitationStandstill:
		return tenderActive, nil // the award is not final until the standstill ends
	case domain.SolicitationAwarded, domain.SolicitationEvaluated:
		switch {
		case hasAward(awards, awardActive):
			return tenderComplete, nil
		case len(awards) > 0 && !hasAward(awards, awardPending):
			return tenderUnsuccessful, nil // every award was cancelled or unsuccessful
		default:
			return tenderActive, nil
		}
	}
	return "", domain.Errorf(domain.ErrInternal, "no OCDS tender status for solicitation status %q", s)
}

// releaseTags says what this release announces (releaseTag codelist).
func releaseTags(s domain.SolicitationStatus, awards []Award, amended bool) []string {
	var tags []string
	switch {
	case s == domain.SolicitationCancelled:
		tags = []string{tagTenderCancellation}
	case hasAward(awards, awardActive):
		tags = []string{tagAward}
	default:
		tags = []string{tagTender}
	}
	if amended {
		tags = append(tags, tagTenderAmendment)
	}
	return tags
}

func hasAward(awards []Award, status string) bool {
	for _, a := range awards {
		if a.Status == status {
			return true
		}
	}
	return false
}

// sealed reports whether bids are still confidential to the public, as the
// authorization table says: until close, even who bid is secret, so that
// vendors cannot see their competition.
func sealed(s domain.Solicitation) bool {
	return !visibility.Sees(visibility.Tenderers, visibility.Anonymous, visibility.PhaseOf(s))
}

// partyList collects parties in first-seen order, merging the roles of an
// organisation that appears more than once (OCDS wants one entry per party).
type partyList struct {
	list []Party
}

func (p *partyList) add(o Organisation, roles ...string) {
	for i := range p.list {
		if p.list[i].ID != o.ID {
			continue
		}
		for _, r := range roles {
			if !slices.Contains(p.list[i].Roles, r) {
				p.list[i].Roles = append(p.list[i].Roles, r)
			}
		}
		return
	}
	p.list = append(p.list, Party{ID: o.ID, Name: o.Name, Roles: slices.Clone(roles)})
}

// dateTime writes an instant in UTC, whole seconds, as OCDS examples do.
func dateTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func dateTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return dateTime(*t)
}
