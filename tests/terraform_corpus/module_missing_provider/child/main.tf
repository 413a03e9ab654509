terraform {
  required_providers {
    time = {
      source                = "hashicorp/time"
      version               = ">= 0.11, < 1.0"
      configuration_aliases = [time.peer]
    }
  }
}

resource "time_sleep" "wait" {
  provider = time.peer

  create_duration = "1s"
}
