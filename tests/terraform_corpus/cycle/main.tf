terraform {
  required_version = ">= 1.6.0"

  required_providers {
    time = {
      source  = "hashicorp/time"
      version = ">= 0.11, < 1.0"
    }
  }
}

resource "time_sleep" "a" {
  create_duration = "1s"
  triggers = {
    other = time_sleep.b.id
  }
}

resource "time_sleep" "b" {
  create_duration = "1s"
  triggers = {
    other = time_sleep.a.id
  }
}
