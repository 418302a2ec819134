"""Route, threshold and delegation advice: rules as data, each resting on cited passages."""
