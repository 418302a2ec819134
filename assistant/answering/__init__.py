"""The answer path: a pipeline of small steps from a question to a verified Answer."""
