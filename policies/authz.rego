# METADATA
# title: Authorization
# description: >-
#   Which role may take which action, from the permission table in
#   data.modeltender.permissions. What a role may read, and which fields in
#   which solicitation state, is the authorization table of
#   internal/visibility; whose records a role may act on (a vendor only its
#   own bids) is checked where the records are read.
package modeltender.authz

# METADATA
# title: Allow
# description: A role may take the actions listed for it and nothing else.
# custom:
#   source: data.modeltender.permissions
default allow := false

allow if input.action in data.modeltender.permissions.roles[input.user.role]
