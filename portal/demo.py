"""Demo data for ``seed_demo``: people, teams and services.

Each area seeds its own data (``oncall.demo``, ``incidents.demo``…) through a function
``seed(*, scale, rng, stdout)``; ``SEEDERS`` lists them in order. Every seeder is idempotent:
running the command twice changes nothing.
"""

import random
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from portal.catalog.models import Service, Tag
from portal.people.models import Membership, Profile, Team

User = get_user_model()

SEEDERS = [
    "portal.demo.seed",
    "portal.notifications.demo.seed",
    "oncall.demo.seed",
    "oncall.swaps.demo.seed",
    "incidents.demo.seed",
    "incidents.postmortems.demo.seed",
    "portal.reports.demo.seed",
]

SMALL_TEAMS = [
    ("payments", "Payments", "Card payments, refunds and the ledger."),
    ("platform", "Platform", "Kubernetes, CI runners, the service mesh."),
    ("search", "Search", "Product search and recommendations."),
]
# username, display name, zone, {team slug: role}
SMALL_PEOPLE = [
    ("demo", "Dana Demo", "Europe/London", {"payments": "manager", "platform": "member"}),
    ("alice", "Alice Martin", "Europe/London", {"payments": "member"}),
    ("bob", "Bob Okafor", "Europe/Berlin", {"payments": "member"}),
    ("carol", "Carol Singh", "Asia/Kolkata", {"payments": "member", "search": "member"}),
    ("dave", "Dave Kowalski", "America/Chicago", {"platform": "manager"}),
    ("erin", "Erin Walsh", "Europe/Dublin", {"platform": "member"}),
    ("frank", "Frank Li", "America/New_York", {"platform": "member"}),
    ("grace", "Grace Hopper", "America/Chicago", {"search": "manager"}),
    ("heidi", "Heidi Berg", "Europe/Berlin", {"search": "member"}),
]
# slug, name, team, tier, tags, dependencies, description
SMALL_SERVICES = [
    (
        "payments-api",
        "Payments API",
        "payments",
        1,
        ["api", "payments"],
        ["ledger", "postgres-main"],
        "Takes card payments from checkout.",
    ),
    (
        "ledger",
        "Ledger",
        "payments",
        1,
        ["payments"],
        ["postgres-main", "kafka"],
        "Double-entry ledger of every money movement.",
    ),
    (
        "refunds",
        "Refunds worker",
        "payments",
        2,
        ["payments", "worker"],
        ["ledger", "kafka"],
        "Processes refund requests.",
    ),
    ("postgres-main", "Postgres (main)", "platform", 1, ["database"], [], "The primary cluster."),
    ("kafka", "Kafka", "platform", 1, ["messaging"], [], "Event backbone."),
    ("ci-runners", "CI runners", "platform", 3, ["ci"], [], "Build and test runners."),
    (
        "search-api",
        "Search API",
        "search",
        2,
        ["api", "search"],
        ["search-index"],
        "Query endpoint behind the product search box.",
    ),
    (
        "search-index",
        "Search indexer",
        "search",
        2,
        ["search", "worker"],
        ["kafka"],
        "Keeps the index in step with the catalog.",
    ),
]
ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/Chicago",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Los_Angeles",
    "UTC",
]
WORDS = [
    "orders",
    "billing",
    "auth",
    "search",
    "ledger",
    "catalog",
    "pricing",
    "checkout",
    "inventory",
    "shipping",
    "email",
    "notify",
    "profile",
    "gateway",
    "reports",
    "media",
    "chat",
    "feeds",
    "maps",
    "fraud",
    "identity",
    "ads",
    "cache",
    "queue",
    "storage",
]


def _password_hash(password: str) -> str:
    return make_password(password)


def _ensure_users(rows, password_hash: str) -> dict[str, object]:
    """rows: (username, display name, zone). Creates missing users and profiles in bulk."""
    usernames = [r[0] for r in rows]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    new = [
        User(username=u, email=f"{u}@example.com", password=password_hash)
        for u, _, _ in rows
        if u not in existing
    ]
    User.objects.bulk_create(new, batch_size=500)
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    have_profile = set(
        Profile.objects.filter(user__username__in=usernames).values_list(
            "user__username", flat=True
        )
    )
    Profile.objects.bulk_create(
        [
            Profile(user=users[u], display_name=name, time_zone=zone)
            for u, name, zone in rows
            if u not in have_profile
        ],
        batch_size=500,
    )
    return users


def _ensure_teams(rows) -> dict[str, Team]:
    Team.objects.bulk_create(
        [Team(slug=slug, name=name, description=desc) for slug, name, desc in rows],
        ignore_conflicts=True,
        batch_size=500,
    )
    return {t.slug: t for t in Team.objects.filter(slug__in=[r[0] for r in rows])}


def _ensure_memberships(rows) -> None:
    """rows: (user, team, role)."""
    Membership.objects.bulk_create(
        [Membership(user=u, team=t, role=r) for u, t, r in rows],
        ignore_conflicts=True,
        batch_size=1000,
    )


def _ensure_services(rows, teams: dict[str, Team]) -> None:
    """rows: (slug, name, team slug, tier, tags, dependency slugs, description)."""
    existing = set(Service.objects.values_list("slug", flat=True))
    fresh = [r for r in rows if r[0] not in existing]
    if not fresh:
        return
    Service.objects.bulk_create(
        [
            Service(
                slug=s,
                name=n,
                team=teams[t],
                tier=tier,
                description=d,
                runbook_url=f"https://runbooks.example.com/{s}",
                repository_url=f"https://git.example.com/{t}/{s}",
            )
            for s, n, t, tier, _, _, d in fresh
        ],
        batch_size=500,
    )
    tag_names = sorted({tag for r in fresh for tag in r[4]})
    Tag.objects.bulk_create([Tag(name=n) for n in tag_names], ignore_conflicts=True)
    tags = {t.name: t for t in Tag.objects.filter(name__in=tag_names)}
    services = {s.slug: s for s in Service.objects.all().only("pk", "slug")}
    TagLink = Service.tags.through
    DepLink = Service.dependencies.through
    TagLink.objects.bulk_create(
        [TagLink(service_id=services[r[0]].pk, tag_id=tags[n].pk) for r in fresh for n in r[4]],
        ignore_conflicts=True,
        batch_size=1000,
    )
    DepLink.objects.bulk_create(
        [
            DepLink(from_service_id=services[r[0]].pk, to_service_id=services[d].pk)
            for r in fresh
            for d in r[5]
            if d in services
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


class Progress:
    """A one-line progress bar on a terminal; plain lines elsewhere."""

    def __init__(self, stdout, total: int, label: str):
        self.stdout, self.total, self.label, self.done = stdout, max(total, 1), label, 0
        self.tty = hasattr(stdout, "isatty") and stdout.isatty()

    def step(self, n: int = 1) -> None:
        self.done += n
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label:<12} [{bar}] {self.done}/{self.total}"
        if self.tty:
            self.stdout.write("\r" + line, ending="" if self.done < self.total else "\n")
            self.stdout.flush()
        elif self.done >= self.total:
            self.stdout.write(line)


@transaction.atomic
def seed(*, scale: str, rng: random.Random, stdout=sys.stdout) -> None:
    password = _password_hash("demo")
    teams = _ensure_teams(SMALL_TEAMS)
    users = _ensure_users([(u, n, z) for u, n, z, _ in SMALL_PEOPLE], password)
    User.objects.filter(username="admin").exists() or User.objects.create_superuser(
        "admin", "admin@example.com", "admin"
    )
    _ensure_memberships(
        [(users[u], teams[t], role) for u, _, _, roles in SMALL_PEOPLE for t, role in roles.items()]
    )
    _ensure_services(SMALL_SERVICES, teams)
    if scale != "large":
        return

    progress = Progress(stdout, 4, "people/teams")
    team_rows = [
        (f"team-{i:03d}", f"{WORDS[i % len(WORDS)].title()} {i:03d}", "Generated demo team.")
        for i in range(1, 98)
    ]
    teams.update(_ensure_teams(team_rows))
    progress.step()
    people_rows = [
        (f"user{i:04d}", f"Person {i:04d}", ZONES[i % len(ZONES)]) for i in range(1, 992)
    ]
    users.update(_ensure_users(people_rows, password))
    progress.step()
    team_list = [teams[slug] for slug, _, _ in team_rows]
    members = []
    for i, (username, _, _) in enumerate(people_rows):
        team = team_list[i % len(team_list)]
        role = "manager" if i < len(team_list) else "member"
        members.append((users[username], team, role))
        if rng.random() < 0.1:  # some people belong to a second team
            members.append((users[username], rng.choice(team_list), "member"))
    _ensure_memberships(members)
    progress.step()
    service_rows = []
    for i in range(1, 293):
        team = team_list[i % len(team_list)]
        slug = f"svc-{WORDS[i % len(WORDS)]}-{i:03d}"
        deps = [
            f"svc-{WORDS[j % len(WORDS)]}-{j:03d}" for j in rng.sample(range(1, i), min(2, i - 1))
        ]
        service_rows.append(
            (
                slug,
                f"{WORDS[i % len(WORDS)].title()} service {i:03d}",
                team.slug,
                rng.randint(1, 3),
                [WORDS[i % len(WORDS)], rng.choice(["api", "worker", "frontend", "database"])],
                deps,
                "Generated demo service.",
            )
        )
    _ensure_services(service_rows, teams)
    progress.step()
