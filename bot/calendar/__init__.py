"""The working calendar: hours, holidays, away, quiet hours and working-day arithmetic, for every feature."""
