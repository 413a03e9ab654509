terraform {
  required_version = ">= 1.6.0"

  required_providers {
    time = {
      source  = "hashicorp/time"
      version = ">= 0.11, < 1.0"
    }
  }
}

resource "time_sleep" "first" {
  create_duration = "1s"
}

# The id of time_sleep.first is known only after apply.
resource "time_sleep" "each" {
  for_each = toset([time_sleep.first.id])

  create_duration = "1s"
}
