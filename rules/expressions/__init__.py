"""The rule expression language (spec §4): lexer, parser, AST, compiler to closures."""
