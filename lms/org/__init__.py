"""Administrative units, mediation teams, people and their roles, accounts, roster import."""
