"""Reports keep almost nothing of their own: they read rotas, pages and incidents. The one
thing they need that nobody else records is a team's public holidays (for the on-call hours
export that compensation is paid from, and because a holiday counts as off-hours)."""

from django.db import models

from portal.people.models import Team


class Holiday(models.Model):
    """A public holiday of a team: the whole local day (each person's own zone) is off-hours."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "date"], name="holiday_unique_team_date"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%Y-%m-%d}, {self.team})"
