/// The default fixtures compiled in, so `mockidp serve` works with no files at all. A test keeps
/// this identical to `scenarios/fixtures/default.json`, the copy people read and edit.
public enum DefaultFixtures {
    public static let fileName = "scenarios/fixtures/default.json"

    public static let json = #"""
{
  "description": "Default MockIdP fixtures: three organizations, seven users. carol is in two organizations (multi-org login), grace is in none, and every role (owner, admin, member) is held by someone. IdP IDs are pinned so docs and bug reports can quote them; external_id values are the app's own UUIDs.",
  "roles": [
    {
      "slug": "owner",
      "name": "Owner",
      "permissions": [
        "org:manage",
        "members:write",
        "credentials:write",
        "credentials:read"
      ]
    },
    {
      "slug": "admin",
      "name": "Admin",
      "permissions": [
        "members:write",
        "credentials:write",
        "credentials:read"
      ]
    },
    {
      "slug": "member",
      "name": "Member",
      "permissions": [
        "credentials:read"
      ]
    }
  ],
  "organizations": [
    {
      "ref": "acme",
      "id": "org_01KDVDNAZ809QYN3ZNZ3C3E4AZ",
      "name": "Acme Corp",
      "external_id": "3eb459c8-8f8d-40e9-b3e1-d03650a74cff",
      "domains": [
        "acme.test"
      ]
    },
    {
      "ref": "globex",
      "id": "org_01KDVDNBYGGNMGJXZ4E7RHZJ6Y",
      "name": "Globex Corporation",
      "external_id": "7ad367d4-ab3e-4d35-ae7a-bed5658ef30d",
      "domains": [
        "globex.test"
      ]
    },
    {
      "ref": "initech",
      "id": "org_01KDVDNCXR3YCZK7KAWQ1WF5AR",
      "name": "Initech",
      "external_id": "73d9c869-9fdd-45fe-b121-77094c1d5c6a",
      "domains": [
        "initech.test",
        "initech.example"
      ]
    }
  ],
  "users": [
    {
      "ref": "alice",
      "id": "user_01KDVDNDX01QBC0PFN6KBVZJ1D",
      "email": "alice@acme.test",
      "first_name": "Alice",
      "last_name": "Anders",
      "external_id": "d9f0b7c0-e6f6-4abf-9c86-269bdefda9aa",
      "password": "alice-password",
      "memberships": [
        {
          "organization": "acme",
          "role": "owner"
        }
      ]
    },
    {
      "ref": "bob",
      "id": "user_01KDVDNEW89YMW3B70V6H757A1",
      "email": "bob@acme.test",
      "first_name": "Bob",
      "last_name": "Baker",
      "external_id": "be06f2fd-daaf-4ec4-a380-626bdd1c84e4",
      "memberships": [
        {
          "organization": "acme",
          "role": "admin"
        }
      ]
    },
    {
      "ref": "carol",
      "id": "user_01KDVDNFVGKRCGCX2FZ85HYDWG",
      "email": "carol@acme.test",
      "first_name": "Carol",
      "last_name": "Chen",
      "external_id": "a7e3deea-b99a-44f8-aa3d-9d2048ecf042",
      "memberships": [
        {
          "organization": "acme",
          "role": "member"
        },
        {
          "organization": "globex",
          "role": "admin"
        }
      ]
    },
    {
      "ref": "dave",
      "id": "user_01KDVDNGTRKVEJTHBSZT8CYFRX",
      "email": "dave@globex.test",
      "first_name": "Dave",
      "last_name": "Diaz",
      "external_id": "6f67594e-46d1-49af-bdd4-d0f3151bc8cc",
      "memberships": [
        {
          "organization": "globex",
          "role": "owner"
        }
      ]
    },
    {
      "ref": "erin",
      "id": "user_01KDVDNHT0AEDZR6J0JANC61S7",
      "email": "erin@initech.test",
      "first_name": "Erin",
      "last_name": "Evans",
      "external_id": "5f1bfb25-5eef-4f8d-bde5-4e17c7836f95",
      "password": "erin-password",
      "memberships": [
        {
          "organization": "initech",
          "role": "owner"
        }
      ]
    },
    {
      "ref": "frank",
      "id": "user_01KDVDNJS8R2X493YZS6S8544Q",
      "email": "frank@initech.test",
      "first_name": "Frank",
      "last_name": "Fischer",
      "external_id": "04fb1856-53c7-4a70-892c-2150975d8cba",
      "memberships": [
        {
          "organization": "initech",
          "role": "member"
        },
        {
          "organization": "acme",
          "role": "member",
          "status": "inactive"
        }
      ]
    },
    {
      "ref": "grace",
      "id": "user_01KDVDNKRGR7RC0Q3FJV7SWKT2",
      "email": "grace@example.test",
      "first_name": "Grace",
      "last_name": "Gupta",
      "external_id": "babeab11-9dfb-4360-a3d1-165a531a0dec",
      "password": "grace-password",
      "memberships": []
    }
  ]
}

"""#
}
