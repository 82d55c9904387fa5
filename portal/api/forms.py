from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        help_text="What will use it, e.g. “terraform” or “chat bot”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
