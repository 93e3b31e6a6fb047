"""A Breakout game that meets the contract: the harness must find every property."""

import pygame

POINTS = 10  # the tests replace this line with the case's points and lives
LIVES = 3


class Game:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.paddle = pygame.Rect(width // 2 - 40, height - 30, 80, 10)
        self.bricks = [pygame.Rect(10 + col * (width - 20) // 8, 30 + row * 20,
                                   (width - 20) // 8 - 4, 16)
                       for row in range(4) for col in range(8)]
        self.score = 0
        self.lives = LIVES
        self.game_over = False
        self.serve()

    def serve(self):
        self.ball = pygame.Rect(self.width // 2 - 5, self.height // 2, 10, 10)
        self.ball_dx, self.ball_dy = 3, -3

    def step(self, keys):
        if self.game_over:
            return
        if "left" in keys:
            self.paddle.x = max(0, self.paddle.x - 6)
        if "right" in keys:
            self.paddle.x = min(self.width - self.paddle.width, self.paddle.x + 6)
        self.ball.x += self.ball_dx
        self.ball.y += self.ball_dy
        if self.ball.left <= 0 or self.ball.right >= self.width:
            self.ball_dx = -self.ball_dx
        if self.ball.top <= 0:
            self.ball_dy = abs(self.ball_dy)
        if self.ball.colliderect(self.paddle) and self.ball_dy > 0:
            self.ball_dy = -self.ball_dy
        hit = self.ball.collidelist(self.bricks)
        if hit >= 0:
            self.bricks.pop(hit)
            self.score += POINTS
            self.ball_dy = -self.ball_dy
        if self.ball.top > self.height:
            self.lives -= 1
            if self.lives <= 0:
                self.game_over = True
            else:
                self.serve()


if __name__ == "__main__":
    screen = pygame.display.set_mode((400, 300))
    game, clock = Game(400, 300), pygame.time.Clock()
    while not game.game_over:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                raise SystemExit
        pressed = pygame.key.get_pressed()
        game.step({name for name, key in (("left", pygame.K_LEFT), ("right", pygame.K_RIGHT))
                   if pressed[key]})
        clock.tick(60)
