terraform {
  required_version = ">= 1.6.0"

  required_providers {
    time = {
      source  = "hashicorp/time"
      version = ">= 0.11, < 1.0"
    }
  }
}

resource "time_sleep" "wait" {
  create_duration = "1s"
}

output "finished" {
  value = time_sleep.wait.finished_at
}
