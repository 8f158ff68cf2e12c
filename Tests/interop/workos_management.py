"""Drive MockIdP's management API with the official WorkOS Python SDK, unchanged.

Usage: workos_management.py BASE_URL API_KEY CLIENT_ID FIXTURE_JSON
FIXTURE_JSON names the fixture objects to use: {"user_id", "org_id", "org_external_id", "multi_org_user_id",
"lonely_user_id"}. Prints a JSON object of what the SDK parsed, so the Swift test can check it.
"""
import json
import sys

from workos import WorkOSClient


def main():
    base, api_key, client_id, fixture = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    client = WorkOSClient(api_key=api_key, client_id=client_id, base_url=base)
    out = {}
    user = client.user_management.get_user(fixture["user_id"])
    out["user"] = {"id": user.id, "email": user.email, "external_id": user.external_id}
    page = client.organization_membership.list_organization_memberships(user_id=fixture["multi_org_user_id"])
    out["memberships"] = sorted(m.organization_id for m in page.data)
    out["membership_user_ids"] = sorted({m.user.id for m in page.data})
    org = client.organizations.get_organization(fixture["org_id"])
    out["org"] = {"id": org.id, "name": org.name, "external_id": org.external_id,
                  "domains": [d.domain for d in org.domains]}
    by_external = client.organizations.get_organization_by_external_id(fixture["org_external_id"])
    out["org_by_external_id"] = by_external.id
    created = client.user_management.create_user(email="sdk.created@example.test", first_name="Sdk")
    out["created_user"] = {"id": created.id, "email": created.email, "first_name": created.first_name}
    membership = client.organization_membership.create_organization_membership(
        user_id=fixture["lonely_user_id"], organization_id=fixture["org_id"])
    out["created_membership"] = {"id": membership.id, "status": str(getattr(membership.status, "value", membership.status)),
                                 "organization_id": membership.organization_id}
    jwks = client.user_management.get_jwks(client_id)
    out["jwks_kids"] = [key.kid for key in jwks.keys]
    orgs = client.organizations.list_organizations(limit=2)
    out["org_pages"] = []
    for organization in orgs.auto_paging_iter() if hasattr(orgs, "auto_paging_iter") else orgs:
        out["org_pages"].append(organization.id)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
