package modeltender.authz_test

import data.modeltender.authz

test_officer_publishes if {
	authz.allow with input as {"user": {"role": "officer"}, "action": "solicitation:publish"}
}

test_vendor_submits_bids_but_cannot_publish if {
	authz.allow with input as {"user": {"role": "vendor"}, "action": "bid:submit"}
	not authz.allow with input as {"user": {"role": "vendor"}, "action": "solicitation:publish"}
}

test_reviewer_decides_tasks if {
	authz.allow with input as {"user": {"role": "reviewer"}, "action": "task:decide"}
}

test_only_admin_creates_users if {
	allowed := {role |
		some role, _ in data.modeltender.permissions.roles
		authz.allow with input as {"user": {"role": role}, "action": "user:create"}
	}
	allowed == {"admin"}
}

test_auditor_takes_no_action if {
	count(data.modeltender.permissions.roles.auditor) == 0
}

test_unknown_role_or_action_denied if {
	not authz.allow with input as {"user": {"role": "intruder"}, "action": "bid:read"}
	not authz.allow with input as {"user": {"role": "officer"}, "action": "solicitation:delete"}
	not authz.allow with input as {"action": "bid:read"}
}
