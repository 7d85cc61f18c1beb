"""The rule pages: the list, a rule's view and editor form, rules.xml import and export."""
